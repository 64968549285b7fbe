// [modules.NAME] and [processes.NAME]: what code exists, and what runs it with which
// priority, budgets, memory class and mailbox.
#include <cctype>
#include <filesystem>

#include "app/manifest/sections.h"

namespace esta::app::manifest {

namespace {

using kernel::MemoryClass;
using kernel::OverflowMode;
using kernel::Priority;

// System is the kernel's own priority (K-2): never a guest's, so not offered here.
constexpr Choice<Priority> kPriorities[] = {{"idle", Priority::Idle},
                                            {"low", Priority::Low},
                                            {"normal", Priority::Normal},
                                            {"high", Priority::High},
                                            {"realtime", Priority::Realtime}};

constexpr Choice<MemoryClass> kMemoryClasses[] = {{"user", MemoryClass::User},
                                                  {"compliance", MemoryClass::Compliance},
                                                  {"system", MemoryClass::System}};

constexpr Choice<OverflowMode> kOverflowModes[] = {{"notify-sender", OverflowMode::NotifySender},
                                                   {"drop-newest", OverflowMode::DropNewest},
                                                   {"drop-oldest", OverflowMode::DropOldest},
                                                   {"block-sender", OverflowMode::BlockSender}};

constexpr i64 kMinFuelPerSlice = 1'000;
constexpr i64 kMaxFuelPerSlice = 1'000'000'000;
constexpr i64 kMinCallDepth = 16;
constexpr i64 kMaxCallDepth = 100'000;
constexpr i64 kMinStackSlots = 1'024;
constexpr i64 kMaxStackSlots = i64{1} << 24;
constexpr i64 kMaxHandles = 1'000;  // K-17.
constexpr i64 kMaxMailboxCapacity = 65'536;
constexpr i64 kMaxPayload = 1 << 20;  // K-42.
constexpr u32 kWasmPageBytes = 65'536;

std::optional<observe::Digest> parse_hex_digest(std::string_view text) {
    if (text.size() != 64) return std::nullopt;
    observe::Digest digest{};
    for (std::size_t i = 0; i < 32; ++i) {
        auto nibble = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        };
        int high = nibble(text[2 * i]);
        int low = nibble(text[2 * i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        digest[i] = static_cast<u8>(high * 16 + low);
    }
    return digest;
}

void parse_module(ParseContext& context, TableReader& table, ModuleSpec& module) {
    // A relative --module-dir is relative to the working directory, as on any command line.
    const std::string module_base =
        context.options.module_dir.empty()
            ? context.manifest.base_dir
            : resolve_path(std::filesystem::current_path().string(), context.options.module_dir);
    if (auto path = table.string("path")) {
        if (path->empty()) {
            table.error("path", "is empty; write the module's file, e.g. \"accrual.wasm\"");
        } else {
            module.path = resolve_path(module_base, *path);
        }
    } else if (!table.has("path")) {
        table.missing("path", "write the module's file, e.g. path = \"accrual.wasm\"");
    }
    if (auto sha256 = table.string("sha256")) {
        module.sha256 = parse_hex_digest(*sha256);
        if (!module.sha256) {
            table.error("sha256", in_quotes(*sha256) +
                                      " is not a SHA-256; allowed: 64 hex digits (run "
                                      "`sha256sum` on the module)");
        }
    }
    if (auto key = table.string("signature_key")) {
        module.signature_key = resolve_path(context.manifest.base_dir, *key);
        std::error_code error;
        if (context.options.check_files &&
            !std::filesystem::is_regular_file(module.signature_key, error)) {
            table.error("signature_key", in_quotes(module.signature_key) +
                                             " is not a file; allowed: a PEM public key as "
                                             "`estalogic keygen` writes it (KEY.pub)");
        } else if (context.options.check_files) {
            auto loaded = observe::Ed25519PublicKey::load_pem(module.signature_key);
            if (!loaded) {
                table.error("signature_key",
                            in_quotes(module.signature_key) +
                                (loaded.error().code == Status::NotFound
                                     ? " does not exist"
                                     : " is not an Ed25519 public key") +
                                "; allowed: a PEM public key as `estalogic keygen` writes it "
                                "(KEY.pub)");
            }
        }
    }
    table.finish();
}

constexpr i64 kMaxInstances = 64;

void parse_budgets(TableReader& process, ProcessSpec& spec) {
    const auto* table = process.table("budgets");
    if (!table) return;
    TableReader budgets(*table, process.child_path("budgets"), process.reporter());
    if (auto fuel = budgets.integer("fuel_per_slice", kMinFuelPerSlice, kMaxFuelPerSlice))
        spec.budgets.fuel_per_slice = static_cast<u64>(*fuel);
    if (auto depth = budgets.integer("call_depth", kMinCallDepth, kMaxCallDepth))
        spec.budgets.stack.max_call_depth = static_cast<u32>(*depth);
    if (auto slots = budgets.integer("stack_slots", kMinStackSlots, kMaxStackSlots))
        spec.budgets.stack.max_value_slots = static_cast<u32>(*slots);
    if (auto handles = budgets.integer("handles", 1, kMaxHandles))
        spec.budgets.handles.max_handles = static_cast<u32>(*handles);
    budgets.finish();
}

void parse_mailbox(TableReader& process, ProcessSpec& spec) {
    spec.mailbox = kernel::MailboxConfig::for_priority(spec.priority);
    const auto* table = process.table("mailbox");
    if (!table) return;
    TableReader mailbox(*table, process.child_path("mailbox"), process.reporter());
    if (auto capacity = mailbox.integer("capacity", 1, kMaxMailboxCapacity))
        spec.mailbox.capacity = static_cast<u32>(*capacity);
    if (auto overflow =
            mailbox.choice<OverflowMode>("overflow", "an overflow mode", kOverflowModes))
        spec.mailbox.overflow = *overflow;
    if (auto payload = mailbox.integer("max_payload", 1, kMaxPayload))
        spec.mailbox.max_payload = static_cast<u32>(*payload);
    mailbox.finish();
}

void parse_process(ParseContext& context, TableReader& table, ProcessSpec& spec) {
    if (auto module = table.string("module")) {
        spec.module = *module;
        context.refer(ReferenceKind::Module, *module, table.child_path("module"),
                      table.position("module"));
    } else if (!table.has("module")) {
        table.missing("module", "name the module this process runs, e.g. module = \"accrual\"");
    }
    if (auto entry = table.string("entry")) {
        if (entry->empty() || entry->size() > 256) {
            table.error("entry", "must name an exported function (1 to 256 characters)");
        } else {
            spec.entry = *entry;
        }
    }
    if (auto priority = table.choice<Priority>("priority", "a priority", kPriorities))
        spec.priority = *priority;
    if (auto critical = table.boolean("critical")) spec.critical = *critical;
    if (auto instances = table.integer("instances", 1, kMaxInstances))
        spec.instances = static_cast<u32>(*instances);
    if (auto key = table.string("partition_key")) {
        if (key->empty() || key->size() > 64 || key->find('"') != std::string::npos) {
            table.error("partition_key",
                        "expected the name of a top-level text field of the messages (1 to 64 "
                        "characters, no quotes), e.g. \"employer\"");
        } else {
            spec.partition_key = *key;
        }
    }
    if (spec.instances > 1 && spec.partition_key.empty() && !table.has("partition_key")) {
        table.missing("partition_key",
                      "several instances need the field that keeps related messages on one "
                      "instance, e.g. partition_key = \"employer\"");
    }
    if (auto memory = table.choice<MemoryClass>("memory_class", "a memory class", kMemoryClasses))
        spec.memory_class = *memory;
    spec.budgets.memory.max_memory_pages =
        static_cast<u32>(kernel::SpatialLimits{}.memory_limit(spec.memory_class) / kWasmPageBytes);
    parse_budgets(table, spec);
    parse_mailbox(table, spec);

    if (const auto* grants = table.table("grants")) {
        TableReader grants_reader(*grants, table.child_path("grants"), context.reporter);
        for (auto&& [key, node] : *grants) {
            std::string name(key.str());
            std::string path = grants_reader.child_path(name);
            const auto* grant_table = grants_reader.table(name);
            if (!grant_table) continue;
            if (!check_name(context, name, path, position_of(key))) continue;
            GrantSpec grant;
            grant.name = name;
            grant.where = position_of(*grant_table);
            TableReader grant_reader(*grant_table, path, context.reporter);
            parse_grant(context, grant_reader, spec, grant);
            spec.grants.push_back(std::move(grant));
        }
        grants_reader.finish();
    }
    table.finish();
}

}  // namespace

void parse_modules(ParseContext& context, TableReader& root) {
    const auto* modules = root.table("modules");
    if (!modules) {
        if (!root.has("modules")) {
            root.missing("modules",
                         "declare at least one module: [modules.NAME] path = \"NAME.wasm\"");
        }
        return;
    }
    TableReader reader(*modules, "modules", context.reporter);
    for (auto&& [key, node] : *modules) {
        std::string name(key.str());
        const auto* table = reader.table(name);
        if (!table) continue;
        if (!check_name(context, name, reader.child_path(name), position_of(key))) continue;
        ModuleSpec module;
        module.name = name;
        module.where = position_of(*table);
        TableReader module_reader(*table, reader.child_path(name), context.reporter);
        parse_module(context, module_reader, module);
        context.manifest.modules.push_back(std::move(module));
    }
    reader.finish();
    if (modules->empty()) {
        root.error("modules", "declares no module; add [modules.NAME] path = \"NAME.wasm\"");
    }
}

void parse_processes(ParseContext& context, TableReader& root) {
    const auto* processes = root.table("processes");
    if (!processes) {
        if (!root.has("processes")) {
            root.missing("processes",
                         "declare at least one process: [processes.NAME] module = \"MODULE\"");
        }
        return;
    }
    TableReader reader(*processes, "processes", context.reporter);
    for (auto&& [key, node] : *processes) {
        std::string name(key.str());
        const auto* table = reader.table(name);
        if (!table) continue;
        if (!check_name(context, name, reader.child_path(name), position_of(key))) continue;
        ProcessSpec process;
        process.name = name;
        process.where = position_of(*table);
        TableReader process_reader(*table, reader.child_path(name), context.reporter);
        parse_process(context, process_reader, process);
        context.manifest.processes.push_back(std::move(process));
    }
    reader.finish();
    if (processes->empty()) {
        root.error("processes", "declares no process; add [processes.NAME] module = \"MODULE\"");
    }
}

}  // namespace esta::app::manifest
