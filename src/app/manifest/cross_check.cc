// What one section cannot check alone: names that must exist elsewhere (with a
// did-you-mean), the supervision tree's shape, production mode's demands, and the module
// files themselves.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "app/manifest/sections.h"
#include "app/manifest/suggest.h"

namespace esta::app::manifest {

namespace {

constexpr Choice<kernel::RestartStrategy> kStrategies[] = {
    {"one-for-one", kernel::RestartStrategy::OneForOne},
    {"one-for-all", kernel::RestartStrategy::OneForAll},
    {"rest-for-one", kernel::RestartStrategy::RestForOne}};

// A module file is read in pieces, so a large one never sits in memory twice.
constexpr std::size_t kHashChunk = 64 * 1024;

std::vector<std::string> names_of(ParseContext& context, ReferenceKind kind) {
    std::vector<std::string> names;
    const auto& manifest = context.manifest;
    switch (kind) {
        case ReferenceKind::Module:
            for (const auto& module : manifest.modules)
                names.push_back(module.name);
            break;
        case ReferenceKind::Process:
            for (const auto& process : manifest.processes)
                names.push_back(process.name);
            break;
        case ReferenceKind::Topic:
            for (const auto& topic : manifest.topics)
                names.push_back(topic.name);
            break;
        case ReferenceKind::Statement:
            for (const auto& statement : manifest.statements)
                names.push_back(statement.name);
            break;
        case ReferenceKind::Script:
            for (const auto& script : manifest.scripts)
                names.push_back(script.name);
            break;
    }
    return names;
}

std::string_view kind_phrase(ReferenceKind kind) {
    switch (kind) {
        case ReferenceKind::Module:
            return "module";
        case ReferenceKind::Process:
            return "process";
        case ReferenceKind::Topic:
            return "topic";
        case ReferenceKind::Statement:
            return "statement";
        case ReferenceKind::Script:
            return "script";
    }
    return "name";
}

std::string declare_hint(ReferenceKind kind, const std::string& name) {
    switch (kind) {
        case ReferenceKind::Module:
            return "declare [modules." + key_segment(name) + "]";
        case ReferenceKind::Process:
            return "declare [processes." + key_segment(name) + "]";
        case ReferenceKind::Topic:
            return "declare [topics." + key_segment(name) + "]";
        case ReferenceKind::Statement:
            return "declare [statements." + key_segment(name) + "]";
        case ReferenceKind::Script:
            return "declare [scripts." + key_segment(name) + "]";
    }
    return "";
}

std::string hex(const observe::Digest& digest) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string text;
    for (u8 byte : digest) {
        text += kDigits[byte >> 4];
        text += kDigits[byte & 15];
    }
    return text;
}

void check_references(ParseContext& context) {
    std::map<ReferenceKind, std::vector<std::string>> known;
    std::map<ReferenceKind, std::set<std::string>> known_set;
    for (const auto& reference : context.references) {
        auto& names = known[reference.kind];
        auto& name_set = known_set[reference.kind];
        if (name_set.empty()) {
            names = names_of(context, reference.kind);
            name_set.insert(names.begin(), names.end());
        }
        if (name_set.count(reference.name) != 0) continue;
        std::string message = in_quotes(reference.name) + " is not a declared " +
                              std::string(kind_phrase(reference.kind));
        if (auto suggestion = closest_name(reference.name, names)) {
            message += "; did you mean " + in_quotes(*suggestion) + "? allowed: ";
        } else {
            message += "; allowed: ";
        }
        message += join_names(names) + " (or " + declare_hint(reference.kind, reference.name) + ")";
        context.reporter.error(reference.at, reference.key_path, message);
    }
}

bool is_loopback(const std::string& host) {
    return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

// Development mode allows plain HTTP, but says so when it reaches beyond this host (S-3).
void warn_open_endpoints(ParseContext& context) {
    const auto& manifest = context.manifest;
    auto& reporter = context.reporter;
    const auto& ingress = manifest.ingress;
    if (ingress.enabled && !is_loopback(ingress.http.host)) {
        if (!ingress.http.tls()) {
            reporter.warning({}, "ingress.listen",
                             "serves plain HTTP beyond this host; add tls_certificate and "
                             "tls_private_key (S-3)");
        }
        for (const auto& route : ingress.routes) {
            if (route.token.source != drivers::SecretRef::Source::None) continue;
            reporter.warning(route.where, "ingress.routes." + key_segment(route.name),
                             "anyone who reaches " + ingress.http.host +
                                 " can invoke this route; add token = { env = \"VARIABLE\" } "
                                 "(S-3)");
        }
    }
    const auto& observability = manifest.observability;
    if (observability.http_enabled && !is_loopback(observability.http.host) &&
        !observability.http.tls()) {
        reporter.warning({}, "observability.http.listen",
                         "serves plain HTTP beyond this host; add tls_certificate and "
                         "tls_private_key (S-3)");
    }
}

void check_production(ParseContext& context) {
    auto& manifest = context.manifest;
    if (manifest.mode != Mode::Production) {
        warn_open_endpoints(context);
        return;
    }
    auto& reporter = context.reporter;
    for (const auto& module : manifest.modules) {
        std::string path = "modules." + key_segment(module.name);
        if (!module.sha256) {
            reporter.error(module.where, path + ".sha256",
                           "missing; production mode pins every module by its SHA-256");
        }
        if (module.signature_key.empty()) {
            reporter.error(module.where, path + ".signature_key",
                           "missing; production mode requires signed modules (K-23): name the "
                           "Ed25519 public key that signed it");
        }
    }
    if (manifest.ingress.enabled && !manifest.ingress.http.tls()) {
        reporter.error({}, "ingress.tls_certificate",
                       "missing; production mode serves HTTP only over TLS (S-3)");
    }
    for (const auto& route : manifest.ingress.routes) {
        if (route.token.source == drivers::SecretRef::Source::None) {
            reporter.error(route.where, "ingress.routes." + key_segment(route.name) + ".token",
                           "missing; production mode requires a bearer token on every route "
                           "(S-3)");
        }
    }
    const auto& observability = manifest.observability;
    if (observability.http_enabled && !observability.http.tls()) {
        reporter.error({}, "observability.http.tls_certificate",
                       "missing; production mode serves HTTP only over TLS (S-3), or set "
                       "observability.http.enabled = false");
    }
}

}  // namespace

void parse_supervision(ParseContext& context, TableReader& root) {
    auto& manifest = context.manifest;
    auto& supervision = manifest.supervision;
    const auto* table = root.table("supervisors");
    if (!table) {
        // No tree given: one one-for-one supervisor over every process, named "root" unless
        // a process already is.
        std::string name = "root";
        for (std::size_t n = 1; manifest.find_process(name) != nullptr; ++n)
            name = "root-" + std::to_string(n);
        SupervisorSpec only{name, kernel::RestartStrategy::OneForOne, {}};
        for (const auto& process : manifest.processes)
            only.children.push_back(process.name);
        supervision.root = name;
        supervision.supervisors.push_back(std::move(only));
        return;
    }
    TableReader reader(*table, "supervisors", context.reporter);
    std::map<std::string, SourcePosition> child_position;  // Child -> where it was named.
    std::map<std::string, std::string> parent_of;
    std::set<std::string> process_names;
    for (const auto& process : manifest.processes)
        process_names.insert(process.name);
    std::vector<std::string> supervisor_names;
    for (auto&& [key, node] : *table)
        supervisor_names.emplace_back(key.str());
    const std::set<std::string> supervisor_set(supervisor_names.begin(), supervisor_names.end());

    for (auto&& [key, node] : *table) {
        std::string name(key.str());
        const auto* supervisor_table = reader.table(name);
        if (!supervisor_table ||
            !check_name(context, name, reader.child_path(name), position_of(key)))
            continue;
        TableReader supervisor(*supervisor_table, reader.child_path(name), context.reporter);
        SupervisorSpec spec{name, kernel::RestartStrategy::OneForOne, {}};
        if (process_names.count(name) != 0) {
            context.reporter.error(
                supervisor.position(), supervisor.key_path(),
                "a supervisor and a process share the name " + in_quotes(name) + "; rename one");
        }
        if (auto strategy = supervisor.choice<kernel::RestartStrategy>(
                "strategy", "a restart strategy", kStrategies))
            spec.strategy = *strategy;
        if (auto children = supervisor.strings("children")) {
            if (children->empty())
                supervisor.error("children", "is empty; a supervisor supervises something");
            auto at = supervisor.position("children");
            for (const auto& child : *children) {
                bool is_process = process_names.count(child) != 0;
                bool is_supervisor = supervisor_set.count(child) != 0;
                if (!is_process && !is_supervisor) {
                    std::vector<std::string> candidates(process_names.begin(), process_names.end());
                    candidates.insert(candidates.end(), supervisor_names.begin(),
                                      supervisor_names.end());
                    std::string message =
                        in_quotes(child) + " is neither a process nor a supervisor";
                    if (auto suggestion = closest_name(child, candidates))
                        message += "; did you mean " + in_quotes(*suggestion) + "?";
                    else
                        message += ";";
                    message += " allowed: " + join_names(candidates);
                    context.reporter.error(at, supervisor.child_path("children"), message);
                    continue;
                }
                if (child == name) {
                    context.reporter.error(at, supervisor.child_path("children"),
                                           in_quotes(child) + " supervises itself");
                    continue;
                }
                if (auto it = parent_of.find(child); it != parent_of.end()) {
                    context.reporter.error(at, supervisor.child_path("children"),
                                           in_quotes(child) + " is already supervised by " +
                                               in_quotes(it->second) + "; each has one supervisor");
                    continue;
                }
                parent_of[child] = name;
                child_position[child] = at;
                spec.children.push_back(child);
            }
        } else if (!supervisor.has("children")) {
            supervisor.missing("children",
                               "list the processes or supervisors it restarts, in "
                               "start order");
        }
        supervisor.finish();
        supervision.supervisors.push_back(std::move(spec));
    }
    reader.finish();

    // The root is the one supervisor nobody supervises.
    std::vector<std::string> roots;
    for (const auto& spec : supervision.supervisors)
        if (parent_of.count(spec.name) == 0) roots.push_back(spec.name);
    if (roots.size() > 1) {
        root.error("supervisors", "has " + std::to_string(roots.size()) + " roots (" +
                                      join_names(roots) +
                                      "); name all but one as a child of another supervisor");
    }
    if (roots.size() == 1) supervision.root = roots.front();
    // Everything reachable from the root; a supervisor that is not sits in a cycle.
    std::map<std::string, const SupervisorSpec*> by_name;
    for (const auto& spec : supervision.supervisors)
        by_name[spec.name] = &spec;
    std::set<std::string> reached;
    std::vector<std::string> pending(roots.begin(), roots.end());
    while (!pending.empty()) {
        std::string current = pending.back();
        pending.pop_back();
        if (!reached.insert(current).second) continue;
        if (auto it = by_name.find(current); it != by_name.end())
            for (const auto& child : it->second->children)
                pending.push_back(child);
    }
    for (const auto& spec : supervision.supervisors) {
        if (reached.count(spec.name) != 0) continue;
        // Walk up the parents to show the cycle; a long one is shown by its first steps, so
        // a file of thousands of supervisors in one loop costs linear time and memory.
        constexpr std::size_t kShownSteps = 8;
        std::string cycle = spec.name;
        std::string current = spec.name;
        for (std::size_t step = 0;; ++step) {
            auto it = parent_of.find(current);
            if (it == parent_of.end()) break;
            current = it->second;
            if (step == kShownSteps && current != spec.name) {
                cycle = "... -> " + cycle;
                break;
            }
            cycle = current + " -> " + cycle;
            if (current == spec.name) break;
        }
        context.reporter.error(
            child_position.count(spec.name) ? child_position[spec.name] : SourcePosition{},
            "supervisors." + key_segment(spec.name),
            "is in a supervision cycle (" + cycle +
                "); a supervision tree has one root and no loops");
    }
    std::string root_name = roots.empty() ? "ROOT" : roots.front();
    for (const auto& process : manifest.processes) {
        if (parent_of.count(process.name) != 0) continue;
        context.reporter.error(
            process.where, "processes." + key_segment(process.name),
            "is not supervised; add it to supervisors." + key_segment(root_name) + ".children");
    }
}

void cross_check(ParseContext& context) {
    check_references(context);
    check_production(context);
    auto& manifest = context.manifest;
    // Two ingress routes or grants with one name are impossible (TOML keys are unique); a
    // critical process needs two cores' worth of budget, which the runtime decides.
    for (const auto& process : manifest.processes) {
        for (const auto& grant : process.grants) {
            const auto* endpoint = std::get_if<EndpointGrant>(&grant.resource);
            if (endpoint && endpoint->process == process.name) {
                context.reporter.error(grant.where,
                                       "processes." + key_segment(process.name) + ".grants." +
                                           key_segment(grant.name) + ".endpoint",
                                       "names the process itself; a process receives on its own "
                                       "mailbox without a grant");
            }
        }
    }
}

void check_module_files(ParseContext& context) {
    for (auto& module : context.manifest.modules) {
        if (module.path.empty()) continue;
        std::string key = "modules." + key_segment(module.name) + ".path";
        // Only a regular file: opening a FIFO or a device could block or never end.
        std::error_code error;
        bool regular = std::filesystem::is_regular_file(module.path, error);
        std::ifstream file;
        if (regular) file.open(module.path, std::ios::binary);
        if (!regular || !file) {
            context.reporter.error(module.where, key,
                                   in_quotes(module.path) +
                                       " is not a readable file; "
                                       "build the module or fix the path "
                                       "(relative paths start at the "
                                       "manifest's directory)");
            continue;
        }
        observe::Sha256 hasher;
        std::vector<char> chunk(kHashChunk);
        while (file) {
            file.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
            auto count = static_cast<std::size_t>(file.gcount());
            if (count == 0) break;
            hasher.update(ByteSpan(reinterpret_cast<const u8*>(chunk.data()), count));
        }
        if (file.bad()) {
            context.reporter.error(module.where, key, in_quotes(module.path) + " cannot be read");
            continue;
        }
        module.actual_sha256 = hasher.finish();
        if (!module.sha256) continue;
        if (*module.sha256 != *module.actual_sha256) {
            context.reporter.error(module.where, "modules." + key_segment(module.name) + ".sha256",
                                   "does not match the file: expected " + hex(*module.sha256) +
                                       ", the file hashes to " + hex(*module.actual_sha256) +
                                       "; rebuild the module or update the hash");
            continue;
        }
        module.sha256_verified = true;
    }
}

}  // namespace esta::app::manifest
