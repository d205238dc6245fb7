import MithaiLanguage

/// Help pages, generated from the command table.
public enum Help {
    static let syntax = """
    Syntax (docs/LANGUAGE.md has the full reference):
      verb arg arg key=value        a command; `help VERB` lists its parameters
      name = <command or value>     names a result; `_` is always the last result
      a | b | c                     pipes the table on the left into the verb on the right
      select COLS [by KEYS] from TABLE [where COND, COND]
                                    a query; `by 1m` buckets time; commas in where mean AND
      cmd; cmd                      several statements on one line; `#` starts a comment
      .mode csv                     lines starting with '.' talk to the shell
    Literals: 09:30  10:31:05.250  2024-08-08  2024-08-08T09:30:00Z  250us 5ms 1s 1m 1h
              09:30..11:00  1..10/5  a,b,c  1_000_000  2.5bp  2%  10x  "text"
    A line that ends inside brackets, or with '|', ',' or '\\', continues on the next line.
    """

    static func page(for topic: String?, ctx: CommandContext) throws(WorkbenchError) -> String {
        let registry = ctx.session.registry
        guard let topic else { return overview(registry) }
        if topic == "syntax" || topic == "language" { return syntax }
        if topic == "indicators" || IndicatorFunctions.names.contains(topic) { return IndicatorFunctions.help(topic) }
        if let spec = registry.lookup(topic) { return page(spec) }
        if let kind = Strategies.kind(topic) { return Strategies.help(kind) }
        if let setting = Settings.spec(topic) {
            return "setting \(setting.name) (default \(setting.defaultValue.display)): \(setting.summary)\nchange it with: set \(setting.name)=VALUE\n"
        }
        throw .at(ctx.range("topic"), "no help for '\(topic)'",
                  suggestions: Suggest.names(for: topic, among: registry.allNames + Settings.specs.map(\.name) + Strategies.all.map(\.name) + ["syntax", "indicators"]),
                  notes: ["try 'help' for the list of commands"])
    }

    public static func overview(_ registry: CommandRegistry) -> String {
        var out = "Mithai \(Session.engineVersion): commands (help VERB shows parameters and examples)\n"
        var categories: [String] = []
        for c in registry.commands where !categories.contains(c.category) { categories.append(c.category) }
        categories.sort { (Commands.categoryOrder.firstIndex(of: $0) ?? 99, $0) < (Commands.categoryOrder.firstIndex(of: $1) ?? 99, $1) }
        let width = (registry.commands.map { ($0.isDotCommand ? 1 : 0) + $0.name.count }.max() ?? 8) + 2
        for category in categories {
            out += "\n\(category)\n"
            for c in registry.commands where c.category == category {
                let name = (c.isDotCommand ? "." : "") + c.name
                out += "  " + name + String(repeating: " ", count: max(1, width - name.count)) + c.summary + "\n"
            }
        }
        out += "\n" + syntax + "\n"
        return out
    }

    public static func page(_ spec: CommandSpec) -> String {
        let dot = spec.isDotCommand ? "." : ""
        var out = dot + spec.synopsis + "\n\n  " + spec.summary + "\n"
        if !spec.details.isEmpty { out += "  " + spec.details.replacingOccurrences(of: "\n", with: "\n  ") + "\n" }
        if !spec.aliases.isEmpty { out += "  Also: " + spec.aliases.map { dot + $0 }.joined(separator: ", ") + "\n" }
        if spec.takesInput { out += "  Takes the table piped into it.\n" }
        if !spec.parameters.isEmpty {
            out += "\nParameters:\n"
            let labels = spec.parameters.map { p -> String in
                switch p.form {
                case .positional: p.name.uppercased() + (p.variadic ? "..." : "")
                case .keyword(let w): "\(w) \(p.name.uppercased())"
                case .option: "\(p.name)=\(p.typeHint)"
                }
            }
            let width = min(28, (labels.map(\.count).max() ?? 0) + 2)
            for (p, label) in zip(spec.parameters, labels) {
                var summary = p.summary
                if case .choice(let words) = p.type, !label.contains("|") { summary += " (one of: \(words.joined(separator: " ")))" }
                var line = "  " + label + String(repeating: " ", count: max(1, width - label.count)) + summary
                if p.required { line += " (required)" } else if !p.defaultText.isEmpty { line += " (default: \(p.defaultText))" }
                out += line + "\n"
            }
        }
        out += "\nExamples:\n"
        for e in spec.examples { out += "  " + e.replacingOccurrences(of: "\n", with: "\n  ") + "\n" }
        return out
    }
}

extension Help {
    /// The command reference as Markdown, generated from the command table (docs/COMMANDS.md;
    /// a test keeps the file equal to this text, so the docs cannot drift from the code).
    public static func reference(_ registry: CommandRegistry = Commands.standard) -> String {
        var out = "# Command reference\n\nGenerated from the command table (`help VERB` shows the same). "
        out += "Re-generate with `MITHAI_RECORD=1 swift test --filter CommandReferenceTests`.\n"
        var categories: [String] = []
        for c in registry.commands where !categories.contains(c.category) { categories.append(c.category) }
        categories.sort { (Commands.categoryOrder.firstIndex(of: $0) ?? 99, $0) < (Commands.categoryOrder.firstIndex(of: $1) ?? 99, $1) }
        for category in categories {
            out += "\n## \(category)\n"
            for c in registry.commands where c.category == category {
                out += "\n### \(c.isDotCommand ? "." : "")\(c.name)\n\n```\n" + page(c) + "```\n"
            }
        }
        out += "\n## strategy kinds\n"
        for kind in Strategies.all { out += "\n### \(kind.name)\n\n```\n" + Strategies.help(kind) + "```\n" }
        out += "\n## settings\n\n| setting | default | meaning |\n|---|---|---|\n"
        for s in Settings.specs { out += "| \(s.name) | \(s.defaultValue.display) | \(s.summary) |\n" }
        return out
    }
}
