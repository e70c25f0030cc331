import ServiceKit

/// The seed's `teams` blueprint: `/teams` and `/teams/<int:team_id>`.
func makeTeamsBlueprint(directory: Directory) -> Blueprint {
    let teams = Blueprint("teams")
    teams.get("/teams", name: "get_all") { _, _ in directory.teams }
    teams.get("/teams/<int:team_id>", name: "get_team") { _, context -> [String] in
        let teamID = try context.parameters.require("team_id", as: Int.self)
        guard let members = directory.teams[teamID] else { try abort(404, "There is no team \(teamID).") }
        return members
    }
    return teams
}
