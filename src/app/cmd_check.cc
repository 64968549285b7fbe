// `estalogic check MODULE.wasm [--key PUB]... [--require-signature] [--json]`: says what the
// kernel would decide about a module before it is deployed: whether it is valid WebAssembly,
// what it imports and exports, what it declares it needs, whether anything is outside ABI v1
// or nondeterministic, and the state of its signature.
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/module_file.h"
#include "app/module_report.h"
#include "observe/json.h"
#include "wasm/wasm.h"

namespace esta::app {
namespace {

struct CheckOptions {
    std::string module;
    std::vector<std::string> keys;
    bool require_signature = false;
    bool json = false;
};

// A module's own strings (import and export names) may hold anything UTF-8 allows; a
// terminal must not interpret them.
std::string printable(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return out;
}

std::string rights_list(const kernel::ModuleNeed& need) {
    std::string text;
    auto add = [&text](std::string_view name) {
        if (!text.empty()) text += ", ";
        text += name;
    };
    for (unsigned bit = 0; bit < kernel::kFirstCustomRightBit; ++bit) {
        auto right = static_cast<kernel::Right>(u64{1} << bit);
        if (need.rights.contains(right)) add(kernel::right_name(right));
    }
    for (const std::string& custom : need.custom_rights)
        add(custom);
    return text.empty() ? "(none)" : text;
}

void print_text(const CheckOptions& options, const ModuleReport& report) {
    std::printf("module     %s: %zu bytes, sha256 %s\n", options.module.c_str(), report.size,
                observe::to_hex(ByteSpan(report.sha256)).c_str());
    std::printf("valid      %s\n", report.valid ? "yes" : "no");
    if (report.manifest) {
        const auto& manifest = *report.manifest;
        std::printf("declares   %s %s, %s, ABI v%lld\n", manifest.name.c_str(),
                    manifest.version.c_str(),
                    std::string(kernel::module_style_name(manifest.style)).c_str(),
                    static_cast<long long>(manifest.abi));
        const char* label = "needs      ";
        if (manifest.needs.empty()) std::printf("%snothing\n", label);
        for (const kernel::ModuleNeed& need : manifest.needs) {
            std::printf("%s%s: %s [%s]\n", label, need.name.c_str(),
                        std::string(kernel::object_type_name(need.kind)).c_str(),
                        rights_list(need).c_str());
            label = "           ";
        }
    }
    const char* label = "imports    ";
    if (report.valid && report.imports.empty()) std::printf("%snone\n", label);
    for (const kernel::ImportFinding& finding : report.imports) {
        std::printf("%s%s.%s: %s%s%s\n", label, printable(finding.module).c_str(),
                    printable(finding.name).c_str(), finding.type.c_str(),
                    finding.verdict == kernel::ImportVerdict::Abi ? "" : "  ",
                    finding.verdict == kernel::ImportVerdict::Abi
                        ? ""
                        : std::string(kernel::import_verdict_name(finding.verdict)).c_str());
        label = "           ";
    }
    label = "exports    ";
    if (report.valid && report.exports.empty()) std::printf("%snone\n", label);
    for (const ExportEntry& entry : report.exports) {
        std::printf("%s%s: %s\n", label, printable(entry.name).c_str(), entry.type.c_str());
        label = "           ";
    }
    if (report.signature)
        std::printf("signature  %s: %s\n",
                    std::string(kernel::signature_status_name(report.signature->status)).c_str(),
                    report.signature->reason.c_str());
    for (const Diagnostic& warning : report.warnings)
        std::printf("warning    %s\n", printable(warning.to_string()).c_str());
    if (report.ok()) {
        std::printf("verdict    ok: the kernel would load this module\n");
        return;
    }
    std::printf("verdict    refused (%zu problem%s):\n", report.problems.size(),
                report.problems.size() == 1 ? "" : "s");
    for (const Diagnostic& problem : report.problems)
        std::printf("  - %s\n", printable(problem.to_string()).c_str());
}

void print_json(const CheckOptions& options, const ModuleReport& report) {
    using nlohmann::json;
    json out;
    out["module"] = options.module;
    out["size"] = report.size;
    out["sha256"] = observe::to_hex(ByteSpan(report.sha256));
    out["valid"] = report.valid;
    out["ok"] = report.ok();
    if (report.manifest) {
        json needs = json::object();
        for (const kernel::ModuleNeed& need : report.manifest->needs) {
            json rights = json::array();
            for (unsigned bit = 0; bit < kernel::kFirstCustomRightBit; ++bit) {
                auto right = static_cast<kernel::Right>(u64{1} << bit);
                if (need.rights.contains(right)) rights.push_back(kernel::right_name(right));
            }
            for (const std::string& custom : need.custom_rights)
                rights.push_back(custom);
            needs[need.name] = {{"kind", kernel::object_type_name(need.kind)}, {"rights", rights}};
        }
        out["manifest"] = {{"abi", report.manifest->abi},
                           {"name", report.manifest->name},
                           {"version", report.manifest->version},
                           {"exports", kernel::module_style_name(report.manifest->style)},
                           {"needs", needs}};
    } else {
        out["manifest"] = nullptr;
    }
    out["imports"] = json::array();
    for (const kernel::ImportFinding& finding : report.imports)
        out["imports"].push_back({{"module", finding.module},
                                  {"name", finding.name},
                                  {"type", finding.type},
                                  {"verdict", kernel::import_verdict_name(finding.verdict)},
                                  {"note", finding.note}});
    out["exports"] = json::array();
    for (const ExportEntry& entry : report.exports)
        out["exports"].push_back({{"name", entry.name}, {"type", entry.type}});
    if (report.signature) {
        const auto& signature = *report.signature;
        out["signature"] = {
            {"status", kernel::signature_status_name(signature.status)},
            {"accepted", signature.accepted},
            {"key_id", signature.key_id ? json(kernel::key_id_hex(*signature.key_id)) : json()},
            {"signed_sha256", observe::to_hex(ByteSpan(signature.signed_digest))},
            {"reason", signature.reason}};
    } else {
        out["signature"] = nullptr;
    }
    out["problems"] = json::array();
    for (const Diagnostic& problem : report.problems)
        out["problems"].push_back(problem.to_string());
    out["warnings"] = json::array();
    for (const Diagnostic& warning : report.warnings)
        out["warnings"].push_back(warning.to_string());
    std::printf("%s\n", out.dump(2, ' ', false, json::error_handler_t::replace).c_str());
}

int run_check(const CheckOptions& options) {
    kernel::SignaturePolicy policy;
    policy.rule = options.require_signature ? kernel::SignatureRule::Required
                                            : kernel::SignatureRule::Optional;
    for (const std::string& path : options.keys) {
        auto key = observe::Ed25519PublicKey::load_pem(path);
        if (!key) {
            std::fprintf(stderr,
                         "error: cannot read %s as a public key: give the KEY.pub file "
                         "`estalogic keygen --out KEY` wrote (PEM \"PUBLIC KEY\", Ed25519).\n",
                         path.c_str());
            return kExitNoInput;
        }
        policy.trusted_keys.push_back(std::move(*key));
    }
    FileRead module = read_file_bounded(options.module, wasm::ModuleLimits{}.module_size);
    if (!module.error.empty()) {
        std::fprintf(stderr, "error: cannot read %s: %s\n", options.module.c_str(),
                     module.error.c_str());
        return kExitNoInput;
    }
    const ModuleReport report = build_module_report(module.bytes, policy);
    if (options.json)
        print_json(options, report);
    else
        print_text(options, report);
    return report.ok() ? 0 : kExitDataError;
}

}  // namespace

void register_check_command(CLI::App& root, CommandContext& context) {
    auto options = std::make_shared<CheckOptions>();
    CLI::App* command = root.add_subcommand(
        "check", "Say whether the kernel would load a module, and what it asks for.");
    command->footer(
        "Validates the module and lists its imports, exports and declared needs\n"
        "(estalogic.manifest). Flags every import outside the estalogic ABI v1, nondeterministic\n"
        "WASI imports (clock_time_get, random_get, ...), a missing or wrong entry point, and\n"
        "the signature's state: verified (by a --key), unknown-key, invalid (changed after\n"
        "signing), malformed or unsigned. With --require-signature only a module verified by\n"
        "one of the --key public keys passes, as in production mode. See docs/MODULES.md.\n"
        "Examples:\n"
        "  estalogic check rules.wasm\n"
        "  estalogic check rules.wasm --key release.key.pub --require-signature\n"
        "  estalogic check rules.wasm --json | jq .imports\n"
        "Exit codes: 0 the kernel would load it; 2 usage error; 65 invalid or refused (each\n"
        "problem is listed); 66 the module or a key cannot be read.\n");
    command->add_option("MODULE", options->module, "The module to check")->required();
    command->add_option("--key", options->keys,
                        "A trusted public key (KEY.pub from estalogic keygen); repeatable");
    command->add_flag("--require-signature", options->require_signature,
                      "Refuse unless signed by a --key (production mode)");
    command->add_flag("--json", options->json, "Print the report as JSON");
    command->callback([options, &context] { context.exit_code = run_check(*options); });
}

}  // namespace esta::app
