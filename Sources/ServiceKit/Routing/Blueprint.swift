/// A named group of routes with a URL prefix, their own hooks and their own error handlers (Quart's
/// `Blueprint`), registered on an app with ``ServiceApp/register(_:urlPrefix:)``.
///
/// ```swift
/// let teams = Blueprint("teams")
/// teams.get("/teams", name: "get_all") { _, _ in allTeams }
/// teams.get("/teams/<int:team_id>", name: "get_team") { _, context in ... }
/// app.register(teams)
/// try context.urlFor("teams.get_team", team_id: 1)   // "/teams/1"
/// ```
/// Endpoint names are prefixed with the blueprint's name. Its hooks run only for its own routes, after the
/// app's before hooks and before the app's after hooks; its error handlers see its routes' errors first.
public final class Blueprint: Scaffold {
    /// The blueprint's name, the prefix of its endpoint names.
    public let name: String
    /// Prepended to every route path of the blueprint.
    public let urlPrefix: String

    /// Creates a blueprint.
    public init(_ name: String, urlPrefix: String = "") {
        self.name = name
        self.urlPrefix = urlPrefix
        super.init()
    }
}
