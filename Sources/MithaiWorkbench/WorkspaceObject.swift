/// Something a session makes and names that is neither a scalar nor a table: a dataset, a
/// strategy, a run. Immutable once made; shared by reference between workspace copies.
public protocol WorkspaceObject: AnyObject, Sendable {
    /// `dataset`, `strategy`, `run`: used by completion (`ParameterType.object`) and messages.
    var kind: String { get }
    /// One line for `.vars`, the journal and `#=` lines.
    var summary: String { get }
    /// What a person sees when the object is the result of a statement.
    var display: String { get }
    /// A canonical serialisation for result digests: equal objects (same data, same
    /// parameters) give equal text on every machine.
    var canonical: String { get }
}

/// Boxes an object so `Value` stays Hashable (identity) without knowing the object's type.
public struct ObjectRef: Sendable, Hashable {
    public let object: any WorkspaceObject
    public init(_ object: any WorkspaceObject) { self.object = object }
    public static func == (a: ObjectRef, b: ObjectRef) -> Bool { a.object === b.object }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(object)) }

    public func `as`<T: WorkspaceObject>(_ type: T.Type) -> T? { object as? T }
}
