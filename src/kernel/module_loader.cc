#include "kernel/module_loader.h"

#include <algorithm>
#include <string>
#include <utility>

#include "kernel/abi_value.h"

namespace esta::kernel {
namespace {

using abi::AbiValue;
using abi::ByteString;
using abi::ValueMap;

constexpr std::string_view kReactiveEntry = "estalogic_handle";

ByteString digest_bytes(const observe::Digest& digest) {
    return ByteString(digest.begin(), digest.end());
}

void record(KernelAuditLog* audit, std::string_view kind, ValueMap fields) {
    if (audit == nullptr) return;
    // The audit log is the kernel's record, not the guest's: a failed append cannot be
    // reported to anyone better placed than the log itself, so it is not a load failure.
    (void)audit->append(kKernelProcess, kind, abi::encode_value(AbiValue(std::move(fields))));
}

std::string first_message(const Diagnostics& problems, std::size_t from) {
    return from < problems.size() ? problems[from].to_string() : std::string();
}

Error refuse(KernelAuditLog* audit, const observe::Digest& sha256, std::string_view stage,
             const Diagnostics& problems, std::size_t first_problem, Error error) {
    ValueMap fields;
    fields.emplace_back("sha256", digest_bytes(sha256));
    fields.emplace_back("stage", std::string(stage));
    fields.emplace_back("reason", first_message(problems, first_problem));
    record(audit, "kernel.module.refused", std::move(fields));
    return error;
}

void add_problem(Diagnostics& problems, Status code, std::string where, std::string message,
                 std::optional<u64> offset = {}) {
    Diagnostic diagnostic;
    diagnostic.code = code;
    diagnostic.where = std::move(where);
    diagnostic.message = std::move(message);
    diagnostic.offset = offset;
    problems.push_back(std::move(diagnostic));
}

void record_signature(KernelAuditLog* audit, const observe::Digest& sha256,
                      const SignatureCheck& check) {
    ValueMap fields;
    fields.emplace_back("sha256", digest_bytes(sha256));
    fields.emplace_back("signed_sha256", digest_bytes(check.signed_digest));
    fields.emplace_back("status", std::string(signature_status_name(check.status)));
    if (check.key_id)
        fields.emplace_back("key_id", ByteString(check.key_id->begin(), check.key_id->end()));
    fields.emplace_back("accepted", check.accepted);
    record(audit, "kernel.module.signature", std::move(fields));
}

bool exports_function(const wasm::CompiledModule& module, std::string_view name) {
    auto exports = wasm::module_exports(module);
    return std::any_of(exports.begin(), exports.end(), [name](const auto& entry) {
        return entry.first == name && entry.second == wasm::ExternKind::Func;
    });
}

}  // namespace

Result<LoadedModule> load_module(ByteSpan bytes, const ModuleLoadPolicy& policy,
                                 KernelAuditLog* audit, Diagnostics& problems) {
    const std::size_t first_problem = problems.size();
    LoadedModule loaded;
    loaded.sha256 = observe::sha256(bytes);

    // (1) Sections.
    auto sections = list_sections(bytes);
    if (!sections) {
        problems.push_back(Diagnostic::from_error(sections.error(), "module"));
        return refuse(audit, loaded.sha256, "sections", problems, first_problem, sections.error());
    }

    // (2) Signature, before any code is decoded.
    loaded.signature = check_signature(bytes, *sections, policy.signatures);
    record_signature(audit, loaded.sha256, loaded.signature);
    if (!loaded.signature.accepted) {
        add_problem(problems, Status::AccessDenied, std::string(kSignatureSectionName),
                    loaded.signature.reason);
        return refuse(audit, loaded.sha256, "signature", problems, first_problem,
                      Err(Status::AccessDenied, "module signature refused"));
    }

    // (3) The module's declaration.
    auto manifest = read_module_manifest(bytes, *sections, problems);
    if (!manifest)
        return refuse(audit, loaded.sha256, "manifest", problems, first_problem, manifest.error());
    if (!*manifest && policy.manifest == ManifestRule::Required) {
        add_problem(problems, Status::Invalid, std::string(kManifestSectionName),
                    "the module declares no needs (it has no estalogic.manifest section): add "
                    "one with `estalogic embed MODULE.wasm NEEDS.toml`");
        return refuse(audit, loaded.sha256, "manifest", problems, first_problem,
                      Err(Status::Invalid, "module manifest missing"));
    }
    loaded.manifest = std::move(*manifest);

    // (4) The engine's decode and validation.
    Diagnostic diagnostic;
    auto compiled = wasm::compile(bytes, policy.limits, &diagnostic);
    if (!compiled) {
        if (diagnostic.message.empty()) diagnostic = Diagnostic::from_error(compiled.error());
        diagnostic.code = compiled.error().code;
        problems.push_back(std::move(diagnostic));
        return refuse(audit, loaded.sha256, "compile", problems, first_problem, compiled.error());
    }
    loaded.compiled = std::move(*compiled);

    // (5) The declared style must be runnable.
    if (loaded.manifest && loaded.manifest->style == ModuleStyle::Reactive &&
        !exports_function(*loaded.compiled, kReactiveEntry)) {
        add_problem(problems, Status::Invalid, "exports",
                    "the manifest declares a reactive module, but it exports no function "
                    "estalogic_handle: export it, or declare exports = \"actor\"");
        return refuse(audit, loaded.sha256, "exports", problems, first_problem,
                      Err(Status::Invalid, "module exports"));
    }

    ValueMap fields;
    fields.emplace_back("sha256", digest_bytes(loaded.sha256));
    if (loaded.manifest) {
        fields.emplace_back("name", loaded.manifest->name);
        fields.emplace_back("version", loaded.manifest->version);
        fields.emplace_back("style", std::string(module_style_name(loaded.manifest->style)));
    }
    fields.emplace_back("signature", std::string(signature_status_name(loaded.signature.status)));
    record(audit, "kernel.module.loaded", std::move(fields));
    return loaded;
}

Result<void> admit_module(const LoadedModule& module, std::span<const OfferedGrant> grants,
                          const CustomRights* custom, KernelAuditLog* audit,
                          Diagnostics& problems) {
    const std::size_t first_problem = problems.size();
    if (module.manifest) {
        auto granted = check_grants(*module.manifest, grants, custom, problems);
        if (!granted) {
            ValueMap fields;
            fields.emplace_back("sha256", digest_bytes(module.sha256));
            fields.emplace_back("stage", "grants");
            std::string reason;
            for (std::size_t i = first_problem; i < problems.size(); ++i) {
                if (!reason.empty()) reason += "; ";
                reason += problems[i].to_string();
            }
            fields.emplace_back("reason", std::move(reason));
            record(audit, "kernel.module.refused", std::move(fields));
            return granted.error();
        }
    }
    ValueMap fields;
    fields.emplace_back("sha256", digest_bytes(module.sha256));
    fields.emplace_back("grants", static_cast<i64>(grants.size()));
    record(audit, "kernel.module.admitted", std::move(fields));
    return Ok();
}

}  // namespace esta::kernel
