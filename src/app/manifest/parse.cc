// The parser's entry points: read the file, let toml++ check the syntax, then read every
// section, resolve references and check the files the manifest names.
#include <filesystem>
#include <fstream>

#include "app/manifest/sections.h"

namespace esta::app::manifest {

namespace {

constexpr Choice<Mode> kModes[] = {{"development", Mode::Development},
                                   {"production", Mode::Production}};

// The one error a file gets when toml++ cannot read it (toml++ stops at the first).
ParseOutcome syntax_error(const std::string& path, const toml::parse_error& error) {
    Reporter reporter(path);
    const auto& begin = error.source().begin;
    std::string message = "not valid TOML: ";
    message += error.description();
    reporter.error(SourcePosition{begin.line, begin.column}, "", message);
    ParseOutcome outcome;
    outcome.errors = reporter.take_errors();
    return outcome;
}

ParseOutcome single_error(const std::string& path, std::string message) {
    Reporter reporter(path);
    reporter.error({}, "", message);
    ParseOutcome outcome;
    outcome.errors = reporter.take_errors();
    return outcome;
}

std::string absolute_path(const std::string& path) {
    std::error_code error;
    auto absolute = std::filesystem::absolute(path, error);
    if (error) return path;
    return absolute.lexically_normal().string();
}

ParseOutcome parse_table(const toml::table& document, const std::string& path,
                         const ParseOptions& options) {
    Reporter reporter(path);
    AppManifest manifest;
    manifest.path = absolute_path(path);
    manifest.base_dir = std::filesystem::path(manifest.path).parent_path().string();
    ParseContext context{reporter, options, manifest, {}, {}};

    TableReader root(document, "", reporter);
    parse_app_section(context, root);
    parse_modules(context, root);
    parse_topics_and_statements(context, root);
    parse_scripts(context, root);
    parse_drivers(context, root);
    parse_processes(context, root);
    parse_supervision(context, root);
    parse_redundancy(context, root);
    parse_observability(context, root);
    parse_ingress(context, root);
    parse_journal(context, root);
    root.finish();
    cross_check(context);
    if (options.check_files) check_module_files(context);

    ParseOutcome outcome;
    outcome.errors = reporter.take_errors();
    outcome.warnings = reporter.take_warnings();
    if (outcome.errors.empty()) outcome.manifest = std::move(manifest);
    return outcome;
}

}  // namespace

void parse_app_section(ParseContext& context, TableReader& root) {
    auto& manifest = context.manifest;
    manifest.name = std::filesystem::path(manifest.path).stem().string();
    const auto* table = root.table("app");
    if (!table) return;
    TableReader app(*table, "app", context.reporter);
    if (auto version = app.integer("manifest_version", 1, INT64_MAX)) {
        if (*version > kManifestVersion) {
            app.error("manifest_version",
                      "this manifest needs a newer estalogic (it reads manifest_version " +
                          std::to_string(kManifestVersion) + " and older)");
        } else {
            manifest.version = *version;
        }
    }
    if (auto name = app.string("name")) {
        if (check_name(context, *name, app.child_path("name"), app.position("name")))
            manifest.name = *name;
    }
    if (auto mode = app.choice<Mode>("mode", "a mode", kModes)) manifest.mode = *mode;
    if (auto zone = app.string("time_zone")) {
        auto parsed = kernel::TimeZone::parse(*zone);
        if (parsed) {
            manifest.time_zone = *parsed;
        } else {
            app.error("time_zone",
                      in_quotes(*zone) +
                          " is not a supported time zone; allowed: UTC, Z, or a fixed offset "
                          "such as +05:30 or UTC-04:00 (zones with daylight-saving rules are "
                          "not supported yet)");
        }
    }
    app.finish();
}

bool check_name(ParseContext& context, std::string_view name, std::string_view key_path,
                SourcePosition at) {
    constexpr std::size_t kMaxName = 64;
    bool ok = !name.empty() && name.size() <= kMaxName;
    for (char c : name) {
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '_' || c == '-' || c == '.';
        if (!plain) ok = false;
    }
    if (!ok) {
        context.reporter.error(at, key_path,
                               in_quotes(name) +
                                   " is not a usable name; allowed: 1 to 64 letters, digits, "
                                   "'_', '-' or '.'");
    }
    return ok;
}

std::string resolve_path(const std::string& base, const std::string& path) {
    std::filesystem::path given(path);
    if (given.is_absolute()) return given.lexically_normal().string();
    return (std::filesystem::path(base) / given).lexically_normal().string();
}

ParseOutcome parse_manifest_text(std::string_view text, const std::string& path,
                                 const ParseOptions& options) {
    if (text.size() > kMaxManifestBytes) {
        return single_error(path, "the manifest is larger than " +
                                      std::to_string(kMaxManifestBytes) +
                                      " bytes; a manifest names files, it does not hold data");
    }
    try {
        toml::table document = toml::parse(text, path);
        return parse_table(document, path, options);
    } catch (const toml::parse_error& error) {
        return syntax_error(path, error);
    } catch (const std::exception& error) {
        // toml++ and the standard library throw; nothing may cross our interface.
        return single_error(path, std::string("cannot read the manifest: ") + error.what());
    }
}

ParseOutcome parse_manifest_file(const std::string& path, const ParseOptions& options) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error)) {
        return single_error(path, "no such file (pass the application manifest, app.toml)");
    }
    std::ifstream file(path, std::ios::binary);
    if (!file) return single_error(path, "cannot open the file for reading");
    std::string text;
    text.resize(kMaxManifestBytes + 1);
    file.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(file.gcount()));
    return parse_manifest_text(text, path, options);
}

}  // namespace esta::app::manifest
