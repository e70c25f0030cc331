import ServiceKit

/// A new hire, as posted to `/employees`.
struct NewEmployee: Decodable {
    let name: String
    let teamID: Int

    enum CodingKeys: String, CodingKey {
        case name
        case teamID = "team_id"
    }
}

/// An employee with links to itself and its team, built with `urlFor`.
struct EmployeeView: Encodable, Sendable {
    let employee: Employee
    let url: String
    let teamURL: String

    init(_ employee: Employee, context: ServiceContext) throws {
        self.employee = employee
        self.url = try context.urlFor("employees.get_employee", employee_id: employee.id)
        self.teamURL = try context.urlFor("teams.get_team", team_id: employee.teamID)
    }

    enum CodingKeys: String, CodingKey {
        case id, name, url
        case teamID = "team_id"
        case teamURL = "team_url"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.employee.id, forKey: .id)
        try container.encode(self.employee.name, forKey: .name)
        try container.encode(self.employee.teamID, forKey: .teamID)
        try container.encode(self.url, forKey: .url)
        try container.encode(self.teamURL, forKey: .teamURL)
    }
}

/// The `employees` blueprint: list, read, hire and remove employees.
func makeEmployeesBlueprint(directory: Directory) -> Blueprint {
    let employees = Blueprint("employees")
    employees.get("/employees", name: "get_all") { _, context in
        try directory.employees.map { try EmployeeView($0, context: context) }
    }
    employees.get("/employees/<int:employee_id>", name: "get_employee") { _, context in
        let id = try context.parameters.require("employee_id", as: Int.self)
        guard let employee = directory.employee(id) else { try abort(404, "There is no employee \(id).") }
        return try EmployeeView(employee, context: context)
    }
    employees.post("/employees", name: "hire") { request, context in
        let hire = try await request.json(as: NewEmployee.self, context: context)
        let name = hire.name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { try abort(422, "An employee needs a name.") }
        guard hire.teamID > 0 else { try abort(422, "team_id must be a positive team number.") }
        let view = try EmployeeView(directory.hire(name: name, teamID: hire.teamID), context: context)
        return Reply(view, status: .created, headers: [.location: view.url])
    }
    employees.delete("/employees/<int:employee_id>", name: "remove") { _, context in
        let id = try context.parameters.require("employee_id", as: Int.self)
        guard directory.remove(id) else { try abort(404, "There is no employee \(id).") }
        return HTTPResponse.Status.noContent
    }
    return employees
}
