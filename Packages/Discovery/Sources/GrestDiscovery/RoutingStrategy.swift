import Synchronization

/// Picks one instance among several (grest-ts `RoutingStrategy`: first, last, random, roundRobin, or your own).
/// Only a resolution that will be used advances round-robin; listing instances never does.
public struct RoutingStrategy: Sendable {
    private let pick: @Sendable (_ instances: [Endpoint], _ api: String) -> Endpoint?

    /// A custom strategy; return `nil` to report the API as unavailable.
    public init(_ pick: @escaping @Sendable (_ instances: [Endpoint], _ api: String) -> Endpoint?) {
        self.pick = pick
    }

    /// Chooses among `instances` (in registration order).
    public func select(from instances: [Endpoint], api: String) -> Endpoint? {
        instances.isEmpty ? nil : pick(instances, api)
    }

    public static let first = RoutingStrategy { instances, _ in instances.first }
    public static let last = RoutingStrategy { instances, _ in instances.last }
    public static let random = RoutingStrategy { instances, _ in instances.randomElement() }

    /// Cycles through the instances, one counter per API (each call makes a new, independent rotation).
    public static var roundRobin: RoutingStrategy {
        let counters = Counters()
        return RoutingStrategy { instances, api in
            instances[counters.next(api) % instances.count]
        }
    }

    private final class Counters: Sendable {
        private let values = Mutex<[String: Int]>([:])

        func next(_ api: String) -> Int {
            values.withLock { values in
                let value = values[api, default: 0]
                values[api] = (value &+ 1) & Int.max
                return value
            }
        }
    }
}
