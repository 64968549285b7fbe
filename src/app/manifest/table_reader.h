// Reading one TOML table of the manifest with every problem reported, not just the first:
// each accessor records the key as known, reports a wrong type or an out-of-range value at
// the value's line and column with its full key path, and returns nothing so parsing goes
// on. finish() then reports every key nobody asked for, with a did-you-mean.
//
// Internal to the manifest parser: only the parser's files include toml++.
#pragma once

#include <toml++/toml.h>

#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/manifest/model.h"
#include "base/diagnostic.h"

namespace esta::app::manifest {

// Collects errors and warnings, each "FILE:LINE:COLUMN" + "KEY.PATH: what; allowed: ...".
class Reporter {
  public:
    explicit Reporter(std::string file) : m_file(std::move(file)) {}

    void error(SourcePosition at, std::string_view key_path, std::string_view message);
    void warning(SourcePosition at, std::string_view key_path, std::string_view message);

    const std::string& file() const { return m_file; }
    // In the order of the file (line, then column).
    Diagnostics take_errors() { return in_file_order(m_errors); }
    Diagnostics take_warnings() { return in_file_order(m_warnings); }
    std::size_t error_count() const { return m_errors.size(); }

  private:
    struct Positioned {
        SourcePosition at;
        Diagnostic diagnostic;
    };
    Diagnostic make(SourcePosition at, std::string_view key_path, std::string_view message) const;
    static Diagnostics in_file_order(std::vector<Positioned>& list);

    std::string m_file;
    std::vector<Positioned> m_errors;
    std::vector<Positioned> m_warnings;
};

SourcePosition position_of(const toml::node& node);
SourcePosition position_of(const toml::key& key);
// "a string", "an integer", ... for type errors.
std::string_view type_phrase(toml::node_type type);
// `"text"` with quotes and control characters escaped, truncated to a readable length.
std::string in_quotes(std::string_view text);
// A key as it appears in a key path: bare when TOML allows it bare, quoted otherwise.
std::string key_segment(std::string_view key);

template <class T>
struct Choice {
    std::string_view name;
    T value;
};

class TableReader {
  public:
    TableReader(const toml::table& table, std::string key_path, Reporter& reporter);

    const std::string& key_path() const { return m_path; }
    std::string child_path(std::string_view key) const;
    SourcePosition position() const { return position_of(m_table); }
    // The key's value position, or the table's when the key is absent.
    SourcePosition position(std::string_view key) const;
    Reporter& reporter() const { return m_reporter; }
    bool has(std::string_view key) const { return m_table.contains(key); }

    // Each returns nothing when the key is absent (without a report) or wrong (reported).
    const toml::node* node(std::string_view key);
    std::optional<std::string> string(std::string_view key);
    std::optional<bool> boolean(std::string_view key);
    std::optional<i64> integer(std::string_view key, i64 min, i64 max);
    std::optional<double> floating(std::string_view key, double min, double max);
    const toml::table* table(std::string_view key);
    const toml::array* array(std::string_view key);
    // A list of strings; every element that is not one is reported.
    std::optional<std::vector<std::string>> strings(std::string_view key);

    // `what` names the kind of value for the message: "a priority".
    template <class T>
    std::optional<T> choice(std::string_view key, std::string_view what,
                            std::span<const Choice<T>> choices) {
        auto text = string(key);
        if (!text) return std::nullopt;
        for (const auto& choice : choices)
            if (choice.name == *text) return choice.value;
        std::vector<std::string> names;
        for (const auto& choice : choices)
            names.emplace_back(choice.name);
        report_not_allowed(key, *text, what, names);
        return std::nullopt;
    }

    // Reports a value that is not one of `allowed` ("\"urgent\" is not a priority; ...").
    void report_not_allowed(std::string_view key, std::string_view value, std::string_view what,
                            const std::vector<std::string>& allowed);
    // An error at `key`'s value (or the table, when absent).
    void error(std::string_view key, std::string_view message) const;
    void missing(std::string_view key, std::string_view what_to_write) const;

    // Reports every key that no accessor asked for, with a did-you-mean among those that were.
    void finish();

  private:
    const toml::node* known(std::string_view key);
    void type_error(std::string_view key, const toml::node& node, std::string_view expected);

    const toml::table& m_table;
    std::string m_path;
    Reporter& m_reporter;
    std::vector<std::string> m_known;   // In the order asked, for "allowed: ...".
    std::set<std::string> m_known_set;  // The same, for lookups.
};

}  // namespace esta::app::manifest
