import ServiceContextModule
import Synchronization

/// A request-scoped, **mutable** key/value scope that follows async calls (grest-ts `GGContext`).
///
/// A scope is bound to a task with `run`; ``ContextKey`` accessors then read and write ``current``.
/// A child scope sees its parents' values and may override them without touching the parents.
/// Values can be set after the scope has started (middleware fills it, handlers read it), which is why
/// this is a reference type rather than an immutable task-local value or `ServiceContext`.
///
/// ```swift
/// try await Context.withNew(name: "request", strict: true) {
///     try requestID.set("req-123")
///     try await handle()   // reads requestID.get()
/// }
/// ```
public final class Context: Sendable {
    /// The scope bound to the running task, if any (grest-ts `GGContextStore.tryGetContext()`).
    ///
    /// Child tasks (task groups, `async let`, `Task { }`) inherit it; `Task.detached` does not.
    @TaskLocal public static var current: Context?

    /// A name for debugging.
    public let name: String
    /// The scope whose values this one inherits.
    public let parent: Context?
    /// Whether a second write of a non-mutable key at this level throws ``ContextError/alreadySet(key:)``.
    /// Server request scopes are strict.
    public let isStrict: Bool

    /// This level's values, searched by name: a level holds a handful of keys, and comparing a few names (equal
    /// names from one key share their storage, so that compare is a pointer check) costs less than hashing one.
    private let slots = Mutex<[Slot]>([])
    /// Whether a value with a service-context bridge, or with an export, was ever written at this level. Never
    /// cleared, so they may say `true` of a level whose value was since deleted. ``serviceContext`` (on every `run`)
    /// and ``exportedValues`` (on every log line) read them to skip, without a lock, the levels with nothing to add.
    private let hasBridgedEntries = Atomic<Bool>(false)
    private let hasExportedEntries = Atomic<Bool>(false)

    struct Slot: Sendable {
        let name: String
        var entry: Entry
    }

    /// One stored value, with its export text and service-context bridge rendered at write time.
    struct Entry: Sendable {
        let value: any Sendable
        let exported: (label: String, text: String)?
        let bridge: (@Sendable (inout ServiceContext) -> Void)?
    }

    /// Creates an unbound scope; bind it with `run`.
    /// - Parameters:
    ///   - name: A name for debugging.
    ///   - parent: The scope to inherit values from.
    ///   - strict: Reject a second write of a non-mutable key at this level.
    public init(name: String, parent: Context? = nil, strict: Bool = false) {
        self.name = name
        self.parent = parent
        self.isStrict = strict
    }

    /// The value for `key` at this level, else in the parents; `nil` when none holds one.
    ///
    /// Unlike ``ContextKey/get()`` this ignores the key's default, and works on a scope that isn't bound.
    /// A stored value of another type than `Value` (two keys sharing a name) counts as absent.
    public func get<Value>(_ key: ContextKey<Value>) -> Value? {
        var scope: Context? = self
        while let level = scope {
            if let value = level.slots.withLock({ $0.entry(named: key.name)?.value }) as? Value {
                return value
            }
            scope = level.parent
        }
        return nil
    }

    /// Whether this level or a parent holds a value for `key`.
    public func has<Value>(_ key: ContextKey<Value>) -> Bool {
        var scope: Context? = self
        while let level = scope {
            if level.slots.withLock({ $0.entry(named: key.name) != nil }) {
                return true
            }
            scope = level.parent
        }
        return false
    }

    /// Writes `value` for `key` at this level.
    /// - Throws: ``ContextError/alreadySet(key:)`` when this scope is strict, the key is not mutable and this level
    ///   already holds a value.
    public func set<Value>(_ key: ContextKey<Value>, _ value: Value) throws(ContextError) {
        // Render outside the lock: `render` is caller code.
        let entry = key.entry(for: value)
        try slots.withLock { (slots) throws(ContextError) in
            if let index = slots.index(named: key.name) {
                if isStrict, !key.isMutable {
                    throw .alreadySet(key: key.name)
                }
                slots[index].entry = entry
            } else {
                slots.append(Slot(name: key.name, entry: entry))
            }
            // Under the lock, so whoever sees the value also sees that this level has something to bridge or export.
            noteKinds(of: entry)
        }
    }

    /// Removes the value for `key` at this level only; a parent's value shows again.
    public func delete<Value>(_ key: ContextKey<Value>) {
        slots.withLock { slots in
            if let index = slots.index(named: key.name) { slots.remove(at: index) }
        }
    }

    /// Removes every value at this level.
    public func reset() {
        slots.withLock { $0.removeAll() }
    }

    /// A new, unbound child of this scope (grest-ts `GGContextStore.branch`).
    ///
    /// Use it to hand the request's values to work that does not inherit task locals:
    /// ```swift
    /// guard let job = Context.current?.branch(name: "audit") else { return }
    /// Task.detached { await job.run { await audit() } }
    /// ```
    public func branch(name: String, strict: Bool = false) -> Context {
        Context(name: name, parent: self, strict: strict)
    }

    /// The value for `key` in the chain, or `make()` stored at this level, atomically for this level: concurrent
    /// callers all get the one value stored.
    ///
    /// `make` and the key's rendering run outside the level's lock (they are caller code, and may touch this scope);
    /// a caller that loses a race drops what its `make` returned.
    func value<Value>(for key: ContextKey<Value>, orInsert make: () -> Value) -> Value {
        if let found = get(key) {
            return found
        }
        let created = make()
        let entry = key.entry(for: created)
        let existing: Value? = slots.withLock { slots in
            // Checked again under the lock: another task may have inserted since `get`.
            let index = slots.index(named: key.name)
            if let index, let value = slots[index].entry.value as? Value {
                return value
            }
            if let index {
                slots[index].entry = entry
            } else {
                slots.append(Slot(name: key.name, entry: entry))
            }
            noteKinds(of: entry)
            return nil
        }
        return existing ?? created
    }

    /// A copy of this level's values.
    var slotsSnapshot: [Slot] {
        slots.withLock { $0 }
    }

    private func noteKinds(of entry: Entry) {
        if entry.bridge != nil { hasBridgedEntries.store(true, ordering: .releasing) }
        if entry.exported != nil { hasExportedEntries.store(true, ordering: .releasing) }
    }

    /// Applies the bridged values of the root, then of each level down to this one, so a child's value wins.
    func applyBridges(to serviceContext: inout ServiceContext) {
        parent?.applyBridges(to: &serviceContext)
        guard hasBridgedEntries.load(ordering: .acquiring) else { return }
        for slot in slotsSnapshot {
            slot.entry.bridge?(&serviceContext)
        }
    }

    /// Adds the exported texts of the root, then of each level down to this one, so a child's value wins.
    func collectExports(into values: inout [String: String]) {
        parent?.collectExports(into: &values)
        guard hasExportedEntries.load(ordering: .acquiring) else { return }
        for slot in slotsSnapshot {
            if let exported = slot.entry.exported {
                values[exported.label] = exported.text
            }
        }
    }
}

extension [Context.Slot] {
    func index(named name: String) -> Int? {
        firstIndex { $0.name == name }
    }

    func entry(named name: String) -> Context.Entry? {
        index(named: name).map { self[$0].entry }
    }
}
