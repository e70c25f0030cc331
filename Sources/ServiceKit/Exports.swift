// ServiceKit apps use Hummingbird's request, response and middleware types directly: one import is enough.
@_exported public import Hummingbird
@_exported public import HTTPTypes
