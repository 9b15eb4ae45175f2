import Synchronization

/// A `Double` in an atomic word (its bit pattern); read-modify-write by compare-and-swap.
struct AtomicDouble: ~Copyable {
    private let bits: Atomic<UInt64>

    init(_ value: Double) { bits = Atomic(value.bitPattern) }

    func load() -> Double { Double(bitPattern: bits.load(ordering: .relaxed)) }

    func store(_ value: Double) { bits.store(value.bitPattern, ordering: .relaxed) }

    func add(_ delta: Double) {
        var current = bits.load(ordering: .relaxed)
        while true {
            let next = (Double(bitPattern: current) + delta).bitPattern
            let (exchanged, original) = bits.weakCompareExchange(expected: current, desired: next, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    /// Replaces the value with `candidate` while `replaces(current)` holds (for min and max).
    func update(_ candidate: Double, when replaces: (Double) -> Bool) {
        var current = bits.load(ordering: .relaxed)
        while replaces(Double(bitPattern: current)) {
            let (exchanged, original) = bits.weakCompareExchange(expected: current, desired: candidate.bitPattern, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }
}

/// One counter series: whole increments on an integer atomic (one `add`), fractional ones on a CAS'd double.
final class CounterSeries: Sendable {
    private let whole = Atomic<Int64>(0)
    private let fraction = AtomicDouble(0)

    func add(_ amount: Int64) { whole.wrappingAdd(amount, ordering: .relaxed) }

    func add(_ amount: Double) { fraction.add(amount) }

    var value: Double { Double(whole.load(ordering: .relaxed)) + fraction.load() }

    func reset() {
        whole.store(0, ordering: .relaxed)
        fraction.store(0)
    }
}

/// One gauge series.
final class GaugeSeries: Sendable {
    private let current = AtomicDouble(0)

    func set(_ value: Double) { current.store(value) }
    func add(_ delta: Double) { current.add(delta) }
    var value: Double { current.load() }
    func reset() { current.store(0) }
}

/// An atomic bucket count on its own allocation (atomics are not copyable, so they cannot live in an Array).
final class AtomicCount: Sendable {
    let count = Atomic<UInt64>(0)
}

/// One histogram series: a count per bucket (not cumulative; the snapshot accumulates), sum, min and max.
/// `_count` is the sum of the bucket counts, so it always equals the `+Inf` bucket in a scrape.
final class HistogramSeries: Sendable {
    let bounds: [Double]
    private let counts: [AtomicCount]
    private let sum = AtomicDouble(0)
    private let minimum = AtomicDouble(.infinity)
    private let maximum = AtomicDouble(-.infinity)

    init(bounds: [Double]) {
        self.bounds = bounds
        self.counts = (0...bounds.count).map { _ in AtomicCount() }
    }

    func observe(_ value: Double) {
        // Small bucket lists: a linear scan beats a binary search; NaN lands in +Inf.
        var index = bounds.count
        if bounds.count <= 16 {
            for i in 0..<bounds.count where value <= bounds[i] {
                index = i
                break
            }
        } else {
            var low = 0
            var high = bounds.count
            while low < high {
                let mid = (low + high) / 2
                if value <= bounds[mid] { high = mid } else { low = mid + 1 }
            }
            index = value.isNaN ? bounds.count : low
        }
        counts[index].count.wrappingAdd(1, ordering: .relaxed)
        sum.add(value)
        minimum.update(value) { value < $0 }
        maximum.update(value) { value > $0 }
    }

    var snapshot: HistogramValue {
        var cumulative: [UInt64] = []
        cumulative.reserveCapacity(counts.count)
        var running: UInt64 = 0
        for cell in counts {
            running &+= cell.count.load(ordering: .relaxed)
            cumulative.append(running)
        }
        return HistogramValue(
            bounds: bounds, cumulativeCounts: cumulative, sum: sum.load(), count: running,
            min: running == 0 ? 0 : minimum.load(), max: running == 0 ? 0 : maximum.load())
    }

    func reset() {
        for cell in counts { cell.count.store(0, ordering: .relaxed) }
        sum.store(0)
        minimum.store(.infinity)
        maximum.store(-.infinity)
    }
}
