import { graphql } from "../gql";

// Every operation the console sends; GraphQL Code Generator types them from ../schema.graphql.

export const MeQuery = graphql(`
  query Me {
    me { id accountId name isAdmin enabled goodStanding }
  }
`);

export const ChildrenQuery = graphql(`
  query Children($accountId: String!, $after: String) {
    account(accountId: $accountId) {
      id
      children(first: 50, after: $after) {
        edges { node { id accountId name enabled goodStanding } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`);

export const NumberRowFields = graphql(`
  fragment NumberRow on PhoneNumber {
    id e164 state carrier revision features modifiedAt stateChangedAt
    account { id accountId name ancestors { accountId } }
  }
`);

export const AccountNumbersQuery = graphql(`
  query AccountNumbers($accountId: String!, $filter: NumberFilter, $after: String) {
    account(accountId: $accountId) {
      id
      numbers(filter: $filter, first: 50, after: $after) {
        edges { node { ...NumberRow } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`);

export const AllNumbersQuery = graphql(`
  query AllNumbers($filter: NumberFilter, $after: String) {
    numbers(filter: $filter, first: 50, after: $after) {
      edges { node { ...NumberRow } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const NumberChangedSubscription = graphql(`
  subscription NumberChanged($filter: NumberChangeFilter) {
    numberChanged(filter: $filter) {
      cursor e164 state deleted
      number { ...NumberRow }
    }
  }
`);

export const NumberChangesQuery = graphql(`
  query NumberChanges($after: String) {
    numberChanges(after: $after, first: 100) {
      cursor hasMore
      changes { cursor e164 state deleted number { ...NumberRow } }
    }
  }
`);

export const NumberDetailQuery = graphql(`
  query NumberDetail($number: String!) {
    number(number: $number) {
      ...NumberRow
      portedIn usedBy createdAt classification publicFields
      previousAccount { accountId name }
      reserveHistory { accountId name }
      history(last: 50) { at action from to requester ownerBefore ownerAfter }
    }
  }
`);

export const UpdateNumberMutation = graphql(`
  mutation UpdateNumber($input: UpdateNumberInput!) {
    updateNumber(input: $input) {
      number { ...NumberRow publicFields }
      userErrors { code message field number }
    }
  }
`);

export const ReserveMutation = graphql(`
  mutation Reserve($input: AcquireInput!) {
    reserveNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }
  }
`);

export const ActivateMutation = graphql(`
  mutation Activate($input: AcquireInput!) {
    activateNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }
  }
`);

export const ReleaseMutation = graphql(`
  mutation Release($input: NumbersInput!) {
    releaseNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }
  }
`);

export const PortInMutation = graphql(`
  mutation PortIn($input: PortInInput!) {
    portInNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }
  }
`);

export const CancelPortInMutation = graphql(`
  mutation CancelPortIn($input: NumbersInput!) {
    cancelPortIn(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }
  }
`);

export const ReturnMutation = graphql(`
  mutation Return($input: ReturnNumbersInput!) {
    returnNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }
  }
`);

export const DeleteMutation = graphql(`
  mutation Delete($input: NumbersInput!) {
    deleteNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }
  }
`);

export const SearchNumbersQuery = graphql(`
  query SearchNumbers($prefix: String!, $quantity: Int) {
    searchNumbers(prefix: $prefix, quantity: $quantity) { e164 state carrier }
  }
`);

export const CreateAccountMutation = graphql(`
  mutation CreateAccount($input: CreateAccountInput!) {
    createAccount(input: $input) {
      account { id accountId name }
      userErrors { code message field }
    }
  }
`);

export const CreateApiKeyMutation = graphql(`
  mutation CreateApiKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) { key keyId userErrors { code message field } }
  }
`);

export const RevokeApiKeyMutation = graphql(`
  mutation RevokeApiKey($keyId: String!) {
    revokeApiKey(keyId: $keyId) { keyId userErrors { code message field } }
  }
`);

export const SystemConfigQuery = graphql(`
  query SystemConfig {
    systemConfig {
      releasedState shouldPermanentlyDelete shouldAge agingDays discoveryExpiryDays historyLength
      featuresAllowed carriers defaultRegion maxBatch
    }
  }
`);

export const UpdateSystemConfigMutation = graphql(`
  mutation UpdateSystemConfig($input: UpdateSystemConfigInput!) {
    updateSystemConfig(input: $input) {
      config {
        releasedState shouldPermanentlyDelete shouldAge agingDays discoveryExpiryDays historyLength
        featuresAllowed carriers defaultRegion maxBatch
      }
      userErrors { code message field }
    }
  }
`);
