import ArgumentParser
import ServiceKit
import ServiceKitCLI

import Foundation

/// The payload of the service's own `receipt_ready` signal (the seed's `report_ready`).
struct ReceiptReady: Sendable {
    let orderID: Int
    let receipt: String
}

/// What `POST /orders` takes: the customer's e-mail address; the items come from the session's cart.
struct PlaceOrder: Decodable {
    let email: String
}

/// The example service that shows globals, sessions, signals and templates, plus `GET /headers`.
func makeBurgerApp(kitchen: Kitchen = Kitchen(), config: ServiceConfig = ServiceConfig(), templates: String) -> ServiceApp {
    let app = ServiceApp("burger-service", config: config)
    app.templateFolder = templates
    app.config.declare("RECEIPT_SIGNING_KEY", type: .string, default: "dev-receipt-key")
    if app.config.secretKey == nil {
        app.logger.warning("SECRET_KEY is not set: using a development key; set BURGER_SECRET_KEY in production")
        app.config["SECRET_KEY"] = "dev-only-secret-key"
    }

    // Globals: who is asking, from HTTP Basic auth (the seed's globals.py).
    app.beforeRequest { request, context in
        context.g.user = request.authorization?.username ?? "Anonymous"
        return nil
    }
    app.get("/api", name: "hello") { _, context in ["Hello": context.g.user as? String ?? "Anonymous"] }

    // Echo what arrived, like httpbin: shows what a proxy in front added.
    app.get("/headers", name: "headers") { request, context in
        // HTTPTypes carries Host as the request's authority, not as a header field.
        var headers: [String: String] = request.head.authority.map { ["Host": $0] } ?? [:]
        for field in request.headers {
            let name = field.name.canonicalName.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: "-")
            headers[name] = headers[name].map { $0 + ", " + field.value } ?? field.value
        }
        return ["headers": JSONValue.object(headers.mapValues(JSONValue.string)), "origin": .string(context.remoteAddr ?? "")]
    }

    app.get("/menu", name: "menu") { _, _ in Kitchen.menu }

    // Sessions: the cart lives in the signed session cookie.
    app.get("/cart", name: "cart") { _, context in cartItems(context.session) }
    app.post("/cart", name: "add_to_cart") { request, context in
        let body = try await request.json(context: context)
        guard let name = body["name"]?.stringValue, let item = Kitchen.item(named: name) else {
            try abort(422, "Send {\"name\": ...} with a dish from /menu.")
        }
        context.session["cart"] = .array((context.session["cart"]?.arrayValue ?? []) + [.string(item.name)])
        return Reply(cartItems(context.session), status: .created)
    }
    app.delete("/cart", name: "empty_cart") { _, context in
        context.session["cart"] = nil
        return HTTPResponse.Status.noContent
    }

    // Templates and signals: an order renders the seed's e-mail and announces the receipt.
    let receiptReady = app.signals.named("receipt_ready", payload: ReceiptReady.self)
    let signer = HMAC(key: Array((app.config.string("RECEIPT_SIGNING_KEY") ?? "").utf8), algorithm: .sha256)
    receiptReady.connect { _, ready in
        kitchen.sign(ready.orderID, signature: signer.authenticationCode(for: Array(ready.receipt.utf8)).map { hex($0) }.joined())
    }
    app.post("/orders", name: "place_order") { request, context in
        let placed = try await request.json(as: PlaceOrder.self, context: context)
        let items = cartItems(context.session)
        guard !items.isEmpty else { try abort(422, "The cart is empty: POST /cart with a dish first.") }
        guard placed.email.contains("@") else { try abort(422, "\"\(placed.email)\" is not an e-mail address.") }
        let customer = context.g.user as? String ?? "Anonymous"
        let values: [String: any Sendable] = [
            "date": HTTPDate.format(Date()),
            "from": "orders@burgers.example",
            "to": placed.email,
            "subject": "Your Burger order",
            "name": customer,
            "items": items.map { ["name": $0.name, "price": $0.price] as [String: any Sendable] },
        ]
        let receipt = try await context.renderTemplate("email_template.j2", values)
        let order = kitchen.place { id in
            Order(id: id, customer: customer, email: placed.email, items: items, total: items.reduce(0) { $0 + $1.price },
                  receipt: receipt, signature: nil)
        }
        await receiptReady.send(from: "orders", ReceiptReady(orderID: order.id, receipt: receipt))
        context.session["cart"] = nil
        let url = try context.urlFor("get_order", order_id: order.id)
        return Reply(["id": .int(order.id), "total": .double(order.total), "url": .string(url)] as JSONValue, status: .created,
                     headers: [.location: url])
    }
    app.get("/orders/<int:order_id>", name: "get_order") { _, context in
        try lookUp(kitchen, context)
    }
    app.get("/orders/<int:order_id>/email", name: "order_email") { _, context in
        Response(status: .ok, headers: [.contentType: "message/rfc822"], body: .init(byteBuffer: .init(string: try lookUp(kitchen, context).receipt)))
    }
    app.get("/healthz", name: "health") { _, _ in ["status": "ok"] }
    return app
}

private func lookUp(_ kitchen: Kitchen, _ context: ServiceContext) throws -> Order {
    let id = try context.parameters.require("order_id", as: Int.self)
    guard let order = kitchen.order(id) else { try abort(404, "There is no order \(id).") }
    return order
}

private func cartItems(_ session: Session) -> [MenuItem] {
    (session["cart"]?.arrayValue ?? []).compactMap { $0.stringValue.flatMap(Kitchen.item(named:)) }
}

private func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
}

@main
struct BurgerService: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "burger-service",
        abstract: "Example ServiceKit service: globals, sessions, signals, templates and /headers."
    )

    @OptionGroup var options: ServiceOptions

    func run() async throws {
        let config = try self.options.bootstrap(environmentPrefix: "BURGER")
        let templates = Bundle.module.resourceURL?.appendingPathComponent("templates").path ?? "templates"
        try await makeBurgerApp(config: config, templates: templates).run(host: self.options.host, port: self.options.port(default: 5002))
    }
}
