import ServiceKit
import Synchronization

/// A dish on the menu.
struct MenuItem: Codable, Sendable, Equatable {
    let name: String
    let price: Double
}

/// A placed order: its receipt e-mail, and the receipt's signature once the `receipt_ready` receiver signed it.
struct Order: Codable, Sendable {
    let id: Int
    let customer: String
    let email: String
    let items: [MenuItem]
    let total: Double
    let receipt: String
    var signature: String?
}

/// Menu and orders of the example burger place.
final class Kitchen: Sendable {
    static let menu: [MenuItem] = [
        MenuItem(name: "Cheeseburger", price: 4.5),
        MenuItem(name: "Veggie Burger", price: 5.0),
        MenuItem(name: "Fries", price: 2.0),
        MenuItem(name: "Root Beer", price: 3.0),
    ]

    private struct State {
        var orders: [Int: Order] = [:]
        var nextID = 1
    }

    private let state = Mutex(State())

    static func item(named name: String) -> MenuItem? {
        self.menu.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }
    }

    /// Stores an order built by `make` with the next id.
    func place(_ make: (Int) throws -> Order) rethrows -> Order {
        try self.state.withLock { state in
            let order = try make(state.nextID)
            state.orders[order.id] = order
            state.nextID += 1
            return order
        }
    }

    func order(_ id: Int) -> Order? { self.state.withLock { $0.orders[id] } }

    func sign(_ id: Int, signature: String) {
        self.state.withLock { $0.orders[id]?.signature = signature }
    }
}
