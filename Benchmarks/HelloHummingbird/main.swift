// The benchmark's plain-Hummingbird peer: the same endpoint as HelloServiceKit, nothing on top.
import Hummingbird

struct Greeting: ResponseEncodable {
    let message: String
}

let port = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 8082
let router = Router()
router.get("/hello") { _, _ in Greeting(message: "Hello, World!") }
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
