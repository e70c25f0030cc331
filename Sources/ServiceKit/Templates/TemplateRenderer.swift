import Stencil
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Renders Jinja-syntax templates from a folder with Stencil: `{{ name }}`, `{{ item['price'] }}`,
/// `{% for %}`, `{% if %}`, filters and inheritance, as Flask users write them.
///
/// Templates whose names end in `.html`, `.htm`, `.xml` or `.xhtml` are autoescaped: every `{{ ... }}` output is
/// HTML-escaped unless it passes through `|safe` or is a ``Markup``. Other templates (`.txt`, `.j2`, e-mail)
/// are rendered as written.
public struct TemplateRenderer: Sendable {
    /// The folder templates are read from.
    public let directory: String
    private let cache: TemplateSourceCache

    /// Creates a renderer for the templates in `directory`.
    ///
    /// - Parameter reload: read templates from disk on every render (Flask's `TEMPLATES_AUTO_RELOAD`);
    ///   otherwise each is read once.
    public init(directory: String, reload: Bool = false) {
        self.directory = directory
        self.cache = TemplateSourceCache(reload: reload)
    }

    /// Renders the template `name` with `context`.
    public func render(_ name: String, _ context: [String: any Sendable] = [:]) throws(TemplateError) -> String {
        let source = try self.cache.source(of: name, in: self.directory)
        let environment = Stencil.Environment(loader: StaticLoader(name: name, source: source, cache: self.cache, directory: self.directory),
                                      extensions: [Self.filters])
        do {
            return try environment.renderTemplate(name: name, context: context)
        } catch let error as TemplateError {
            throw error
        } catch {
            throw TemplateError(template: name, reason: "\(error)")
        }
    }

    /// Whether output of `name` is HTML-escaped.
    public static func autoescapes(_ name: String) -> Bool {
        let lowercased = name.lowercased()
        return [".html", ".htm", ".xml", ".xhtml"].contains { lowercased.hasSuffix($0) }
    }

    private static var filters: Stencil.Extension {
        let filters = Stencil.Extension()
        filters.registerFilter("safe") { value in Markup(value.map { "\($0)" } ?? "") }
        filters.registerFilter("escape") { value in Markup(Markup.escape(value.map { "\($0)" } ?? "")) }
        filters.registerFilter("e") { value in Markup(Markup.escape(value.map { "\($0)" } ?? "")) }
        filters.registerFilter(autoescapeFilter) { value -> Any? in
            switch value {
            case nil: ""
            case let markup as Markup: markup.html
            case let value?: Markup.escape("\(value)")
            }
        }
        return filters
    }

    fileprivate static let autoescapeFilter = "__servicekit_autoescape"

    /// Appends the autoescape filter to every `{{ ... }}` so escaping happens last, on the final output.
    fileprivate static func addAutoescape(to source: String) -> String {
        var result = ""
        var rest = Substring(source)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            let expression = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            result += rest[..<open.lowerBound]
            result += "{{ \(expression)|\(autoescapeFilter) }}"
            rest = rest[close.upperBound...]
        }
        return result + rest
    }
}

/// A template could not be found, read or rendered.
public struct TemplateError: Error, Sendable, CustomStringConvertible {
    /// The template's name.
    public let template: String
    /// What went wrong.
    public let reason: String

    public var description: String { "template \(self.template): \(self.reason)" }
}

/// Template sources by name, read once unless reloading.
private final class TemplateSourceCache: Sendable {
    private let sources = Mutex<[String: String]>([:])
    private let reload: Bool

    init(reload: Bool) { self.reload = reload }

    func source(of name: String, in directory: String) throws(TemplateError) -> String {
        if !self.reload, let cached = self.sources.withLock({ $0[name] }) { return cached }
        guard !name.split(separator: "/").contains(".."), !name.hasPrefix("/") else {
            throw TemplateError(template: name, reason: "template names may not leave the templates folder")
        }
        let path = directory + "/" + name
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw TemplateError(template: name, reason: "not found in \(directory)")
        }
        let source = TemplateRenderer.autoescapes(name) ? TemplateRenderer.addAutoescape(to: text) : text
        self.sources.withLock { $0[name] = source }
        return source
    }
}

/// Serves the template being rendered and, for `{% include %}` and `{% extends %}`, its neighbours.
private struct StaticLoader: Loader {
    let name: String
    let source: String
    let cache: TemplateSourceCache
    let directory: String

    func loadTemplate(name: String, environment: Stencil.Environment) throws -> Template {
        let source = name == self.name ? self.source : try self.cache.source(of: name, in: self.directory)
        return environment.templateClass.init(templateString: source, environment: environment, name: name)
    }
}
