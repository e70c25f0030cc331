import ServiceKit
import Synchronization

/// An employee of the example company.
struct Employee: Codable, Sendable, Equatable {
    let id: Int
    var name: String
    var teamID: Int

    enum CodingKeys: String, CodingKey {
        case id, name
        case teamID = "team_id"
    }
}

/// The in-memory employee directory the teams and employees blueprints share.
///
/// The seed keeps module-level dictionaries; a service that takes concurrent requests keeps them behind a lock.
final class Directory: Sendable {
    private struct State {
        var employees: [Int: Employee]
        var nextID: Int
    }

    private let state: Mutex<State>

    /// The seed's data: Alice and Bob are devs (team 1), Charles is ops (team 2).
    static func seeded() -> Directory {
        Directory([
            Employee(id: 1, name: "Alice", teamID: 1),
            Employee(id: 2, name: "Bob", teamID: 1),
            Employee(id: 3, name: "Charles", teamID: 2),
        ])
    }

    init(_ employees: [Employee]) {
        self.state = Mutex(State(
            employees: Dictionary(uniqueKeysWithValues: employees.map { ($0.id, $0) }),
            nextID: (employees.map(\.id).max() ?? 0) + 1
        ))
    }

    var employees: [Employee] { self.state.withLock { $0.employees.values.sorted { $0.id < $1.id } } }

    func employee(_ id: Int) -> Employee? { self.state.withLock { $0.employees[id] } }

    /// Team id → member names, in employee order (the seed's `_TEAMS`).
    var teams: [Int: [String]] {
        Dictionary(grouping: self.employees, by: \.teamID).mapValues { $0.map(\.name) }
    }

    func hire(name: String, teamID: Int) -> Employee {
        self.state.withLock { state in
            let employee = Employee(id: state.nextID, name: name, teamID: teamID)
            state.employees[employee.id] = employee
            state.nextID += 1
            return employee
        }
    }

    /// Removes an employee; `false` when there was none with that id.
    func remove(_ id: Int) -> Bool {
        self.state.withLock { $0.employees.removeValue(forKey: id) != nil }
    }
}
