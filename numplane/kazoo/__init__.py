"""The Kazoo migration's shells (issue 14): read a Kazoo deployment, write it into numplane, follow it,
verify it. Every rule is in numplane.domain.kazoo; these modules move documents and count outcomes."""
