import Foundation
import ServiceKit
import ServiceKitTesting
import TestSupport
import Testing

@Suite("Templates")
struct TemplateTests {
    static let folder: String = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("servicekit-templates-\(getpid())")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // The seed's email_template.j2, as printed in the seed (without its copy-paste trailing spaces).
        let email = """
            Date: {{date}}
            From: {{from}}
            Subject: {{subject}}
            To: {{to}}
            Content-Type: text/plain

            Hello {{name}},

            We have received your payment!

            Below is the list of items we will deliver for lunch:

            {% for item in items %}- {{item['name']}} ({{item['price']}} Euros)
            {% endfor %}

            Thank you for your business!

            --
            My Fictional Burger Place
            """
        let files = [
            "email_template.j2": email,
            "page.html": "<p>{{ comment }}</p><p>{{ trusted|safe }}</p>{% if admin %}<b>admin</b>{% endif %}",
            "note.txt": "note: {{ comment }}",
            "feed.xml": "<title>{{ title }}</title>",
            "base.html": "<main>{% block content %}{% endblock %}</main>{% include \"footer.html\" %}",
            "child.html": "{% extends \"base.html\" %}{% block content %}{{ comment }}{% endblock %}",
            "footer.html": "<footer>{{ comment }}</footer>",
        ]
        for (name, text) in files {
            try? text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return directory.path
    }()

    static let order: [String: any Sendable] = [
        "date": "Fri, 17 May 2024 10:30:00 +0000",
        "to": "bob@example.com",
        "from": "burgers@example.com",
        "subject": "Your Burger order",
        "name": "Bob",
        "items": [
            ["name": "Cheeseburger", "price": 4.5],
            ["name": "Fries", "price": 2.0],
            ["name": "Root Beer", "price": 3.0],
        ] as [[String: any Sendable]],
    ]

    @Test func seedEmailTemplateRendersAsWritten() throws {
        let text = try TemplateRenderer(directory: Self.folder).render("email_template.j2", Self.order)
        #expect(text.contains("Hello Bob,"))
        #expect(text.contains("- Cheeseburger (4.5 Euros)\n- Fries (2.0 Euros)\n- Root Beer (3.0 Euros)\n"))
    }

    @Test func renderedEmailIsAValidRFC822MessageToARealMailParser() async throws {
        let text = try TemplateRenderer(directory: Self.folder).render("email_template.j2", Self.order)
        let (status, output) = try await runPeer("parse_email.py", [], stdin: text)
        #expect(status == 0, "\(output)")
        let parsed = try JSONValue(parsing: Array(output.utf8))
        #expect(parsed["defects"] == [])
        #expect(parsed["subject"] == "Your Burger order")
        #expect(parsed["to"] == "bob@example.com")
        #expect(parsed["from"] == "burgers@example.com")
        #expect(parsed["content_type"] == "text/plain")
        #expect(parsed["date_parsed"] == "2024-05-17T10:30:00+00:00")
        #expect(parsed["body"]?.stringValue?.hasPrefix("Hello Bob,") == true)
    }

    @Test func htmlAndXMLAreAutoescapedButTextIsNot() throws {
        let renderer = TemplateRenderer(directory: Self.folder)
        let values: [String: any Sendable] = ["comment": "<script>alert('x')</script> & co", "trusted": "<em>ok</em>", "admin": true]
        #expect(try renderer.render("page.html", values)
            == "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co</p><p><em>ok</em></p><b>admin</b>")
        #expect(try renderer.render("note.txt", values) == "note: <script>alert('x')</script> & co")
        #expect(try renderer.render("feed.xml", ["title": "Fish & Chips"]) == "<title>Fish &amp; Chips</title>")
        #expect(try renderer.render("page.html", ["comment": Markup("<i>marked</i>")]).hasPrefix("<p><i>marked</i></p>"))
    }

    @Test func extendsAndIncludeReadNeighbouringTemplates() throws {
        let text = try TemplateRenderer(directory: Self.folder).render("child.html", ["comment": "<hi>"])
        #expect(text == "<main>&lt;hi&gt;</main><footer>&lt;hi&gt;</footer>")
    }

    @Test func missingTemplatesAndEscapesAreErrors() {
        let renderer = TemplateRenderer(directory: Self.folder)
        #expect(throws: TemplateError.self) { try renderer.render("nope.html") }
        #expect(throws: TemplateError.self) { try renderer.render("../etc/passwd") }
    }

    @Test func renderTemplateSendsTemplateRendered() async throws {
        let app = ServiceApp("templates")
        app.templateFolder = Self.folder
        let rendered = Locked<[String]>([])
        app.signals.templateRendered.connect { _, event in
            rendered.withLock { $0.append("\(event.template) \(event.context["comment"] as? String ?? "")") }
        }
        app.get("/page") { _, context in try await context.renderTemplate("page.html", ["comment": "hi"]) }
        let response = try await app.testClient().get("/page")
        #expect(response.text == "<p>hi</p><p></p>")
        #expect(rendered.withLock { $0 } == ["page.html hi"])
    }
}
