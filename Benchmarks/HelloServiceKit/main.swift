// The benchmark's ServiceKit peer: GET /hello returns {"message":"Hello, World!"}.
import ServiceKit

let port = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 8081
let app = ServiceApp("hello-servicekit")
app.get("/hello") { _, _ in ["message": "Hello, World!"] }
try await app.run(host: "127.0.0.1", port: port)
