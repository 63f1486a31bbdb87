/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query Me {\n    me { id accountId name isAdmin enabled goodStanding }\n  }\n": typeof types.MeDocument,
    "\n  query Children($accountId: String!, $after: String) {\n    account(accountId: $accountId) {\n      id\n      children(first: 50, after: $after) {\n        edges { node { id accountId name enabled goodStanding } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n": typeof types.ChildrenDocument,
    "\n  fragment NumberRow on PhoneNumber {\n    id e164 state carrier revision features modifiedAt stateChangedAt\n    account { id accountId name ancestors { accountId } }\n  }\n": typeof types.NumberRowFragmentDoc,
    "\n  query AccountNumbers($accountId: String!, $filter: NumberFilter, $after: String) {\n    account(accountId: $accountId) {\n      id\n      numbers(filter: $filter, first: 50, after: $after) {\n        edges { node { ...NumberRow } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n": typeof types.AccountNumbersDocument,
    "\n  query AllNumbers($filter: NumberFilter, $after: String) {\n    numbers(filter: $filter, first: 50, after: $after) {\n      edges { node { ...NumberRow } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": typeof types.AllNumbersDocument,
    "\n  subscription NumberChanged($filter: NumberChangeFilter) {\n    numberChanged(filter: $filter) {\n      cursor e164 state deleted\n      number { ...NumberRow }\n    }\n  }\n": typeof types.NumberChangedDocument,
    "\n  query NumberChanges($after: String) {\n    numberChanges(after: $after, first: 100) {\n      cursor hasMore\n      changes { cursor e164 state deleted number { ...NumberRow } }\n    }\n  }\n": typeof types.NumberChangesDocument,
    "\n  query NumberDetail($number: String!) {\n    number(number: $number) {\n      ...NumberRow\n      portedIn usedBy createdAt classification publicFields\n      previousAccount { accountId name }\n      reserveHistory { accountId name }\n      history(last: 50) { at action from to requester ownerBefore ownerAfter }\n    }\n  }\n": typeof types.NumberDetailDocument,
    "\n  mutation UpdateNumber($input: UpdateNumberInput!) {\n    updateNumber(input: $input) {\n      number { ...NumberRow publicFields }\n      userErrors { code message field number }\n    }\n  }\n": typeof types.UpdateNumberDocument,
    "\n  mutation Reserve($input: AcquireInput!) {\n    reserveNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n": typeof types.ReserveDocument,
    "\n  mutation Activate($input: AcquireInput!) {\n    activateNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n": typeof types.ActivateDocument,
    "\n  mutation Release($input: NumbersInput!) {\n    releaseNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n": typeof types.ReleaseDocument,
    "\n  mutation PortIn($input: PortInInput!) {\n    portInNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n": typeof types.PortInDocument,
    "\n  mutation CancelPortIn($input: NumbersInput!) {\n    cancelPortIn(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n": typeof types.CancelPortInDocument,
    "\n  mutation Return($input: ReturnNumbersInput!) {\n    returnNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n": typeof types.ReturnDocument,
    "\n  mutation Delete($input: NumbersInput!) {\n    deleteNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n": typeof types.DeleteDocument,
    "\n  query SearchNumbers($prefix: String!, $quantity: Int) {\n    searchNumbers(prefix: $prefix, quantity: $quantity) { e164 state carrier }\n  }\n": typeof types.SearchNumbersDocument,
    "\n  mutation CreateAccount($input: CreateAccountInput!) {\n    createAccount(input: $input) {\n      account { id accountId name }\n      userErrors { code message field }\n    }\n  }\n": typeof types.CreateAccountDocument,
    "\n  mutation CreateApiKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) { key keyId userErrors { code message field } }\n  }\n": typeof types.CreateApiKeyDocument,
    "\n  mutation RevokeApiKey($keyId: String!) {\n    revokeApiKey(keyId: $keyId) { keyId userErrors { code message field } }\n  }\n": typeof types.RevokeApiKeyDocument,
    "\n  query SystemConfig {\n    systemConfig {\n      releasedState shouldPermanentlyDelete shouldAge agingDays discoveryExpiryDays historyLength\n      featuresAllowed carriers defaultRegion maxBatch\n    }\n  }\n": typeof types.SystemConfigDocument,
    "\n  mutation UpdateSystemConfig($input: UpdateSystemConfigInput!) {\n    updateSystemConfig(input: $input) {\n      config {\n        releasedState shouldPermanentlyDelete shouldAge agingDays discoveryExpiryDays historyLength\n        featuresAllowed carriers defaultRegion maxBatch\n      }\n      userErrors { code message field }\n    }\n  }\n": typeof types.UpdateSystemConfigDocument,
};
const documents: Documents = {
    "\n  query Me {\n    me { id accountId name isAdmin enabled goodStanding }\n  }\n": types.MeDocument,
    "\n  query Children($accountId: String!, $after: String) {\n    account(accountId: $accountId) {\n      id\n      children(first: 50, after: $after) {\n        edges { node { id accountId name enabled goodStanding } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n": types.ChildrenDocument,
    "\n  fragment NumberRow on PhoneNumber {\n    id e164 state carrier revision features modifiedAt stateChangedAt\n    account { id accountId name ancestors { accountId } }\n  }\n": types.NumberRowFragmentDoc,
    "\n  query AccountNumbers($accountId: String!, $filter: NumberFilter, $after: String) {\n    account(accountId: $accountId) {\n      id\n      numbers(filter: $filter, first: 50, after: $after) {\n        edges { node { ...NumberRow } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n": types.AccountNumbersDocument,
    "\n  query AllNumbers($filter: NumberFilter, $after: String) {\n    numbers(filter: $filter, first: 50, after: $after) {\n      edges { node { ...NumberRow } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n": types.AllNumbersDocument,
    "\n  subscription NumberChanged($filter: NumberChangeFilter) {\n    numberChanged(filter: $filter) {\n      cursor e164 state deleted\n      number { ...NumberRow }\n    }\n  }\n": types.NumberChangedDocument,
    "\n  query NumberChanges($after: String) {\n    numberChanges(after: $after, first: 100) {\n      cursor hasMore\n      changes { cursor e164 state deleted number { ...NumberRow } }\n    }\n  }\n": types.NumberChangesDocument,
    "\n  query NumberDetail($number: String!) {\n    number(number: $number) {\n      ...NumberRow\n      portedIn usedBy createdAt classification publicFields\n      previousAccount { accountId name }\n      reserveHistory { accountId name }\n      history(last: 50) { at action from to requester ownerBefore ownerAfter }\n    }\n  }\n": types.NumberDetailDocument,
    "\n  mutation UpdateNumber($input: UpdateNumberInput!) {\n    updateNumber(input: $input) {\n      number { ...NumberRow publicFields }\n      userErrors { code message field number }\n    }\n  }\n": types.UpdateNumberDocument,
    "\n  mutation Reserve($input: AcquireInput!) {\n    reserveNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n": types.ReserveDocument,
    "\n  mutation Activate($input: AcquireInput!) {\n    activateNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n": types.ActivateDocument,
    "\n  mutation Release($input: NumbersInput!) {\n    releaseNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n": types.ReleaseDocument,
    "\n  mutation PortIn($input: PortInInput!) {\n    portInNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n": types.PortInDocument,
    "\n  mutation CancelPortIn($input: NumbersInput!) {\n    cancelPortIn(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n": types.CancelPortInDocument,
    "\n  mutation Return($input: ReturnNumbersInput!) {\n    returnNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n": types.ReturnDocument,
    "\n  mutation Delete($input: NumbersInput!) {\n    deleteNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n": types.DeleteDocument,
    "\n  query SearchNumbers($prefix: String!, $quantity: Int) {\n    searchNumbers(prefix: $prefix, quantity: $quantity) { e164 state carrier }\n  }\n": types.SearchNumbersDocument,
    "\n  mutation CreateAccount($input: CreateAccountInput!) {\n    createAccount(input: $input) {\n      account { id accountId name }\n      userErrors { code message field }\n    }\n  }\n": types.CreateAccountDocument,
    "\n  mutation CreateApiKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) { key keyId userErrors { code message field } }\n  }\n": types.CreateApiKeyDocument,
    "\n  mutation RevokeApiKey($keyId: String!) {\n    revokeApiKey(keyId: $keyId) { keyId userErrors { code message field } }\n  }\n": types.RevokeApiKeyDocument,
    "\n  query SystemConfig {\n    systemConfig {\n      releasedState shouldPermanentlyDelete shouldAge agingDays discoveryExpiryDays historyLength\n      featuresAllowed carriers defaultRegion maxBatch\n    }\n  }\n": types.SystemConfigDocument,
    "\n  mutation UpdateSystemConfig($input: UpdateSystemConfigInput!) {\n    updateSystemConfig(input: $input) {\n      config {\n        releasedState shouldPermanentlyDelete shouldAge agingDays discoveryExpiryDays historyLength\n        featuresAllowed carriers defaultRegion maxBatch\n      }\n      userErrors { code message field }\n    }\n  }\n": types.UpdateSystemConfigDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Me {\n    me { id accountId name isAdmin enabled goodStanding }\n  }\n"): (typeof documents)["\n  query Me {\n    me { id accountId name isAdmin enabled goodStanding }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Children($accountId: String!, $after: String) {\n    account(accountId: $accountId) {\n      id\n      children(first: 50, after: $after) {\n        edges { node { id accountId name enabled goodStanding } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Children($accountId: String!, $after: String) {\n    account(accountId: $accountId) {\n      id\n      children(first: 50, after: $after) {\n        edges { node { id accountId name enabled goodStanding } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment NumberRow on PhoneNumber {\n    id e164 state carrier revision features modifiedAt stateChangedAt\n    account { id accountId name ancestors { accountId } }\n  }\n"): (typeof documents)["\n  fragment NumberRow on PhoneNumber {\n    id e164 state carrier revision features modifiedAt stateChangedAt\n    account { id accountId name ancestors { accountId } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AccountNumbers($accountId: String!, $filter: NumberFilter, $after: String) {\n    account(accountId: $accountId) {\n      id\n      numbers(filter: $filter, first: 50, after: $after) {\n        edges { node { ...NumberRow } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n"): (typeof documents)["\n  query AccountNumbers($accountId: String!, $filter: NumberFilter, $after: String) {\n    account(accountId: $accountId) {\n      id\n      numbers(filter: $filter, first: 50, after: $after) {\n        edges { node { ...NumberRow } }\n        pageInfo { hasNextPage endCursor }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AllNumbers($filter: NumberFilter, $after: String) {\n    numbers(filter: $filter, first: 50, after: $after) {\n      edges { node { ...NumberRow } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"): (typeof documents)["\n  query AllNumbers($filter: NumberFilter, $after: String) {\n    numbers(filter: $filter, first: 50, after: $after) {\n      edges { node { ...NumberRow } }\n      pageInfo { hasNextPage endCursor }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription NumberChanged($filter: NumberChangeFilter) {\n    numberChanged(filter: $filter) {\n      cursor e164 state deleted\n      number { ...NumberRow }\n    }\n  }\n"): (typeof documents)["\n  subscription NumberChanged($filter: NumberChangeFilter) {\n    numberChanged(filter: $filter) {\n      cursor e164 state deleted\n      number { ...NumberRow }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query NumberChanges($after: String) {\n    numberChanges(after: $after, first: 100) {\n      cursor hasMore\n      changes { cursor e164 state deleted number { ...NumberRow } }\n    }\n  }\n"): (typeof documents)["\n  query NumberChanges($after: String) {\n    numberChanges(after: $after, first: 100) {\n      cursor hasMore\n      changes { cursor e164 state deleted number { ...NumberRow } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query NumberDetail($number: String!) {\n    number(number: $number) {\n      ...NumberRow\n      portedIn usedBy createdAt classification publicFields\n      previousAccount { accountId name }\n      reserveHistory { accountId name }\n      history(last: 50) { at action from to requester ownerBefore ownerAfter }\n    }\n  }\n"): (typeof documents)["\n  query NumberDetail($number: String!) {\n    number(number: $number) {\n      ...NumberRow\n      portedIn usedBy createdAt classification publicFields\n      previousAccount { accountId name }\n      reserveHistory { accountId name }\n      history(last: 50) { at action from to requester ownerBefore ownerAfter }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateNumber($input: UpdateNumberInput!) {\n    updateNumber(input: $input) {\n      number { ...NumberRow publicFields }\n      userErrors { code message field number }\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateNumber($input: UpdateNumberInput!) {\n    updateNumber(input: $input) {\n      number { ...NumberRow publicFields }\n      userErrors { code message field number }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Reserve($input: AcquireInput!) {\n    reserveNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n"): (typeof documents)["\n  mutation Reserve($input: AcquireInput!) {\n    reserveNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Activate($input: AcquireInput!) {\n    activateNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n"): (typeof documents)["\n  mutation Activate($input: AcquireInput!) {\n    activateNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Release($input: NumbersInput!) {\n    releaseNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n"): (typeof documents)["\n  mutation Release($input: NumbersInput!) {\n    releaseNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PortIn($input: PortInInput!) {\n    portInNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n"): (typeof documents)["\n  mutation PortIn($input: PortInInput!) {\n    portInNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CancelPortIn($input: NumbersInput!) {\n    cancelPortIn(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n"): (typeof documents)["\n  mutation CancelPortIn($input: NumbersInput!) {\n    cancelPortIn(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Return($input: ReturnNumbersInput!) {\n    returnNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n"): (typeof documents)["\n  mutation Return($input: ReturnNumbersInput!) {\n    returnNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Delete($input: NumbersInput!) {\n    deleteNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n"): (typeof documents)["\n  mutation Delete($input: NumbersInput!) {\n    deleteNumbers(input: $input) { numbers { ...NumberRow } userErrors { code message number field } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SearchNumbers($prefix: String!, $quantity: Int) {\n    searchNumbers(prefix: $prefix, quantity: $quantity) { e164 state carrier }\n  }\n"): (typeof documents)["\n  query SearchNumbers($prefix: String!, $quantity: Int) {\n    searchNumbers(prefix: $prefix, quantity: $quantity) { e164 state carrier }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateAccount($input: CreateAccountInput!) {\n    createAccount(input: $input) {\n      account { id accountId name }\n      userErrors { code message field }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateAccount($input: CreateAccountInput!) {\n    createAccount(input: $input) {\n      account { id accountId name }\n      userErrors { code message field }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateApiKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) { key keyId userErrors { code message field } }\n  }\n"): (typeof documents)["\n  mutation CreateApiKey($input: CreateApiKeyInput!) {\n    createApiKey(input: $input) { key keyId userErrors { code message field } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeApiKey($keyId: String!) {\n    revokeApiKey(keyId: $keyId) { keyId userErrors { code message field } }\n  }\n"): (typeof documents)["\n  mutation RevokeApiKey($keyId: String!) {\n    revokeApiKey(keyId: $keyId) { keyId userErrors { code message field } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SystemConfig {\n    systemConfig {\n      releasedState shouldPermanentlyDelete shouldAge agingDays discoveryExpiryDays historyLength\n      featuresAllowed carriers defaultRegion maxBatch\n    }\n  }\n"): (typeof documents)["\n  query SystemConfig {\n    systemConfig {\n      releasedState shouldPermanentlyDelete shouldAge agingDays discoveryExpiryDays historyLength\n      featuresAllowed carriers defaultRegion maxBatch\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateSystemConfig($input: UpdateSystemConfigInput!) {\n    updateSystemConfig(input: $input) {\n      config {\n        releasedState shouldPermanentlyDelete shouldAge agingDays discoveryExpiryDays historyLength\n        featuresAllowed carriers defaultRegion maxBatch\n      }\n      userErrors { code message field }\n    }\n  }\n"): (typeof documents)["\n  mutation UpdateSystemConfig($input: UpdateSystemConfigInput!) {\n    updateSystemConfig(input: $input) {\n      config {\n        releasedState shouldPermanentlyDelete shouldAge agingDays discoveryExpiryDays historyLength\n        featuresAllowed carriers defaultRegion maxBatch\n      }\n      userErrors { code message field }\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;