#include "app/module_report.h"

#include <algorithm>

#include "wasm/parser.h"
#include "wasm/wasm.h"

namespace esta::app {
namespace {

void add(Diagnostics& list, std::string where, std::string message) {
    Diagnostic diagnostic;
    diagnostic.where = std::move(where);
    diagnostic.message = std::move(message);
    list.push_back(std::move(diagnostic));
}

const ExportEntry* find_export(const ModuleReport& report, std::string_view name) {
    auto found = std::find_if(report.exports.begin(), report.exports.end(),
                              [name](const ExportEntry& entry) { return entry.name == name; });
    return found == report.exports.end() ? nullptr : &*found;
}

void describe_exports(const wasm::Module& module, ModuleReport& report) {
    for (const wasm::Export& entry : module.exports) {
        std::string type(wasm::extern_kind_name(entry.kind));
        if (entry.kind == wasm::ExternKind::Func)
            type =
                kernel::describe_function_type(module.function_type(wasm::FuncIndex(entry.index)));
        report.exports.push_back(ExportEntry{entry.name, std::move(type)});
    }
}

// The entry points the declared style needs, and the memory ABI pointers point into.
void check_entry_points(ModuleReport& report) {
    constexpr std::string_view kHandleType = "func () -> i32";
    const auto style = report.manifest ? report.manifest->style : kernel::ModuleStyle::Reactive;
    if (style == kernel::ModuleStyle::Reactive && report.manifest) {
        const ExportEntry* handle = find_export(report, "estalogic_handle");
        if (handle == nullptr)
            add(report.problems, "exports",
                "a reactive module exports estalogic_handle: () -> i32; export it, or declare "
                "exports = \"actor\"");
        else if (handle->type != kHandleType)
            add(report.problems, "exports",
                "estalogic_handle is " + handle->type + "; it must be () -> i32");
        const ExportEntry* init = find_export(report, "estalogic_init");
        if (init != nullptr && init->type != kHandleType)
            add(report.problems, "exports",
                "estalogic_init is " + init->type + "; it must be () -> i32");
    }
    if (style == kernel::ModuleStyle::Actor && find_export(report, "_start") == nullptr)
        add(report.warnings, "exports",
            "an actor module without _start must be spawned with its entry named");
    const bool uses_abi = std::any_of(report.imports.begin(), report.imports.end(),
                                      [](const kernel::ImportFinding& finding) {
                                          return finding.verdict == kernel::ImportVerdict::Abi;
                                      });
    const ExportEntry* memory = find_export(report, "memory");
    if (uses_abi && (memory == nullptr || memory->type != "memory"))
        add(report.warnings, "exports",
            "the module calls the estalogic ABI but exports no memory named \"memory\": every "
            "pointer it passes will be OUT_OF_BOUNDS");
}

}  // namespace

ModuleReport build_module_report(ByteSpan module, const kernel::SignaturePolicy& signatures) {
    ModuleReport report;
    report.size = module.size();
    report.sha256 = observe::sha256(module);

    auto sections = kernel::list_sections(module);
    if (!sections) {
        report.problems.push_back(Diagnostic::from_error(sections.error(), "module"));
        return report;
    }

    report.signature = kernel::check_signature(module, *sections, signatures);
    if (!report.signature->accepted)
        add(report.problems, std::string(kernel::kSignatureSectionName), report.signature->reason);
    else if (report.signature->status == kernel::SignatureStatus::UnknownKey)
        add(report.warnings, std::string(kernel::kSignatureSectionName),
            report.signature->reason + "; pass the signer's public key with --key to verify it");

    auto manifest = kernel::read_module_manifest(module, *sections, report.problems);
    if (manifest && *manifest)
        report.manifest = std::move(**manifest);
    else if (manifest)
        add(report.problems, std::string(kernel::kManifestSectionName),
            "the module declares no needs (no estalogic.manifest section), and the kernel "
            "refuses such modules: add one with `estalogic embed MODULE.wasm NEEDS.toml`");

    Diagnostic diagnostic;
    auto compiled = wasm::compile(module, {}, &diagnostic);
    if (!compiled) {
        if (diagnostic.message.empty()) diagnostic = Diagnostic::from_error(compiled.error());
        report.problems.push_back(std::move(diagnostic));
        return report;
    }
    auto parsed = wasm::parse_module(module);
    if (!parsed) {  // compile() parsed it already; kept as a value, never a crash.
        report.problems.push_back(Diagnostic::from_error(parsed.error(), "module"));
        return report;
    }
    report.valid = true;
    report.imports = kernel::judge_imports(*parsed);
    for (const kernel::ImportFinding& finding : report.imports)
        if (finding.verdict != kernel::ImportVerdict::Abi)
            add(report.problems, "import " + finding.module + "." + finding.name,
                std::string(kernel::import_verdict_name(finding.verdict)) + ": " + finding.note);
    describe_exports(*parsed, report);
    check_entry_points(report);
    return report;
}

}  // namespace esta::app
