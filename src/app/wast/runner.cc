#include "app/wast/runner.h"

#include <map>
#include <optional>

#include "app/wast/converter.h"
#include "app/wast/spectest.h"
#include "app/wast/values.h"

namespace esta::app::wast {
namespace {

namespace fs = std::filesystem;
using wasm::Outcome;
using wasm::TrapKind;
using wasm::Value;

// The result of checking one command.
struct Verdict {
    enum class Kind : u8 { Pass, Fail, Skip };
    Kind kind = Kind::Pass;
    std::string message;

    static Verdict pass() { return {}; }
    static Verdict skip(std::string why) { return {Kind::Skip, std::move(why)}; }
    static Verdict fail(std::string why) { return {Kind::Fail, std::move(why)}; }
};

std::string describe_trap(const wasm::Trap& trap) {
    std::string text = "trap " + std::to_string(wasm::trap_code(trap.kind)) + " (";
    text += trap.reason != nullptr && *trap.reason != '\0'
                ? std::string(trap.reason)
                : std::string(wasm::trap_kind_text(trap.kind));
    return text + ")";
}

std::string describe_error(const Error& error, const Diagnostic& diagnostic) {
    if (!diagnostic.message.empty()) return diagnostic.to_string();
    return error.to_string();
}

class ScriptRunner {
  public:
    ScriptRunner(const fs::path& directory, const RunOptions& options)
        : m_directory(directory), m_options(options), m_execution(m_store) {}

    Result<void> start() { return define_spectest(m_store, m_linker, m_options.print_sink); }
    Verdict run(const Command& command);

  private:
    // A compiled module, or why there is none.
    struct Compiled {
        std::shared_ptr<const wasm::CompiledModule> module;
        std::string error;
        Status status = Status::Ok;
    };

    Compiled compile_file(const std::string& filename);
    Verdict define_module(const Command& command);
    Verdict register_module(const Command& command);
    // Runs an invoke or a get; on a harness-level problem (no such module or export, bad
    // argument) `problem` says what and the result is empty.
    std::optional<Outcome> perform(const Action& action, std::string& problem);
    Verdict assert_return(const Command& command);
    Verdict assert_trap(const Command& command, bool exhaustion);
    Verdict assert_not_compiled(const Command& command);
    Verdict assert_unlinkable(const Command& command);
    Verdict assert_uninstantiable(const Command& command);

    wasm::ExecutionConfig execution_config() const {
        wasm::ExecutionConfig config;
        config.fuel = m_options.fuel;
        config.fuel_mode = wasm::FuelMode::Budget;
        return config;
    }

    fs::path m_directory;
    const RunOptions& m_options;
    wasm::Store m_store;
    wasm::Linker m_linker;
    wasm::Execution m_execution;
    wasm::Instance* m_current = nullptr;
    std::map<std::string, wasm::Instance*, std::less<>> m_named;
};

ScriptRunner::Compiled ScriptRunner::compile_file(const std::string& filename) {
    auto bytes = read_text_file(m_directory / filename);
    if (!bytes) return {nullptr, "cannot read " + filename, Status::NotFound};
    Diagnostic diagnostic;
    ByteSpan span(reinterpret_cast<const u8*>(bytes->data()), bytes->size());
    auto module = wasm::compile(span, {}, &diagnostic);
    if (!module) return {nullptr, describe_error(module.error(), diagnostic), module.error().code};
    return {std::move(*module), {}, Status::Ok};
}

Verdict ScriptRunner::define_module(const Command& command) {
    // A later action naming no module must not silently reach an older one.
    m_current = nullptr;
    if (command.text_module) return Verdict::skip("text module");
    auto compiled = compile_file(command.filename);
    if (!compiled.module) return Verdict::fail("module did not compile: " + compiled.error);
    auto instantiated =
        wasm::instantiate(m_store, compiled.module, m_linker, m_options.limits, execution_config());
    if (!instantiated)
        return Verdict::fail("module did not link: " + instantiated.error().to_string());
    if (instantiated->trap)
        return Verdict::fail("module trapped while instantiating: " +
                             describe_trap(*instantiated->trap));
    m_current = instantiated->instance;
    if (!command.name.empty()) m_named[command.name] = m_current;
    return Verdict::pass();
}

Verdict ScriptRunner::register_module(const Command& command) {
    wasm::Instance* instance = m_current;
    if (!command.name.empty()) {
        auto it = m_named.find(command.name);
        instance = it == m_named.end() ? nullptr : it->second;
    }
    if (instance == nullptr) return Verdict::fail("register: no module " + command.name);
    m_linker.define_instance(command.as, *instance);
    return Verdict::pass();
}

std::optional<Outcome> ScriptRunner::perform(const Action& action, std::string& problem) {
    wasm::Instance* instance = m_current;
    if (!action.module.empty()) {
        auto it = m_named.find(action.module);
        instance = it == m_named.end() ? nullptr : it->second;
    }
    if (instance == nullptr) {
        problem = "no module " + (action.module.empty() ? std::string("loaded") : action.module);
        return std::nullopt;
    }
    auto found = instance->find_export(action.field);
    if (!found) {
        problem = "no export \"" + action.field + "\"";
        return std::nullopt;
    }

    if (action.kind == Action::Kind::Get) {
        if (found->kind != wasm::ExternKind::Global || found->global == nullptr) {
            problem = "export \"" + action.field + "\" is not a global";
            return std::nullopt;
        }
        Outcome outcome;
        outcome.results.push_back(found->global->get());
        return outcome;
    }

    if (found->kind != wasm::ExternKind::Func || found->function == nullptr) {
        problem = "export \"" + action.field + "\" is not a function";
        return std::nullopt;
    }
    std::vector<Value> args;
    for (const auto& arg : action.args) {
        auto value = to_engine_value(arg);
        if (!value) {
            problem = "cannot pass argument " + to_string(arg);
            return std::nullopt;
        }
        args.push_back(*value);
    }
    auto outcome = m_execution.invoke(found->function, args, execution_config());
    if (!outcome) {
        problem = "invoke \"" + action.field + "\" failed: " + outcome.error().to_string();
        m_execution.reset();
        return std::nullopt;
    }
    // Budget mode never suspends, but a stuck Execution would poison every later command.
    if (outcome->suspended()) m_execution.reset();
    return std::move(*outcome);
}

std::string describe_outcome(const Outcome& outcome) {
    switch (outcome.kind) {
        case Outcome::Kind::Completed: {
            std::string text = "returned (";
            for (std::size_t i = 0; i < outcome.results.size(); ++i)
                text += (i ? ", " : "") + describe(outcome.results[i]);
            return text + ")";
        }
        case Outcome::Kind::Trapped:
            return describe_trap(outcome.trap);
        case Outcome::Kind::Suspended:
            return "suspended";
        case Outcome::Kind::Exited:
            return "exited with " + std::to_string(outcome.exit_code);
    }
    return "?";
}

Verdict ScriptRunner::assert_return(const Command& command) {
    std::string problem;
    auto outcome = perform(*command.action, problem);
    if (!outcome) return Verdict::fail(problem);
    if (!outcome->completed()) return Verdict::fail(describe_outcome(*outcome));
    const auto& results = outcome->results;
    bool same = results.size() == command.expected.size();
    for (std::size_t i = 0; same && i < results.size(); ++i)
        same = matches(command.expected[i], results[i]);
    if (same) return Verdict::pass();
    std::string expected = "(";
    for (std::size_t i = 0; i < command.expected.size(); ++i)
        expected += (i ? ", " : "") + to_string(command.expected[i]);
    return Verdict::fail(describe_outcome(*outcome) + ", expected " + expected + ")");
}

Verdict ScriptRunner::assert_trap(const Command& command, bool exhaustion) {
    std::string problem;
    auto outcome = perform(*command.action, problem);
    if (!outcome) return Verdict::fail(problem);
    if (outcome->trapped()) {
        const auto& trap = outcome->trap;
        bool right = exhaustion
                         ? trap.kind == TrapKind::CallStackExhausted
                         : trap_matches(command.text, trap.kind, trap.reason ? trap.reason : "");
        if (right) return Verdict::pass();
    }
    return Verdict::fail(describe_outcome(*outcome) + ", expected trap \"" + command.text + "\"");
}

// assert_malformed and assert_invalid: the binary must be rejected before instantiation.
// A malformed one must fail to decode (Status::Malformed, or Limit for sizes over a decoder
// limit): a validation error there means the decoder let a broken encoding through. An
// invalid one may fail either way, because wast2json's encoding of an invalid text module
// can itself be malformed (memory.init with no data segment gets no data count section).
Verdict ScriptRunner::assert_not_compiled(const Command& command) {
    if (command.text_module) return Verdict::skip("text module");
    auto compiled = compile_file(command.filename);
    if (compiled.module) return Verdict::fail("module compiled, expected \"" + command.text + "\"");
    if (compiled.status == Status::NotFound) return Verdict::fail(compiled.error);
    bool decode_error = compiled.status == Status::Malformed || compiled.status == Status::Limit;
    if (command.type == CommandType::AssertMalformed && !decode_error)
        return Verdict::fail(compiled.error + ", expected a decode error \"" + command.text + "\"");
    return Verdict::pass();
}

Verdict ScriptRunner::assert_unlinkable(const Command& command) {
    if (command.text_module) return Verdict::skip("text module");
    auto compiled = compile_file(command.filename);
    if (!compiled.module) return Verdict::fail("module did not compile: " + compiled.error);
    auto instantiated =
        wasm::instantiate(m_store, compiled.module, m_linker, m_options.limits, execution_config());
    if (!instantiated) {
        if (instantiated.error().code == Status::Unlinkable) return Verdict::pass();
        return Verdict::fail("failed with " + instantiated.error().to_string() +
                             ", expected link error \"" + command.text + "\"");
    }
    std::string what = instantiated->trap ? describe_trap(*instantiated->trap) : "instantiated";
    return Verdict::fail(what + ", expected link error \"" + command.text + "\"");
}

Verdict ScriptRunner::assert_uninstantiable(const Command& command) {
    if (command.text_module) return Verdict::skip("text module");
    auto compiled = compile_file(command.filename);
    if (!compiled.module) return Verdict::fail("module did not compile: " + compiled.error);
    auto instantiated =
        wasm::instantiate(m_store, compiled.module, m_linker, m_options.limits, execution_config());
    if (!instantiated)
        return Verdict::fail("module did not link: " + instantiated.error().to_string());
    if (instantiated->trap) {
        const auto& trap = *instantiated->trap;
        if (trap_matches(command.text, trap.kind, trap.reason ? trap.reason : ""))
            return Verdict::pass();
        return Verdict::fail(describe_trap(trap) + ", expected trap \"" + command.text + "\"");
    }
    return Verdict::fail("instantiated, expected trap \"" + command.text + "\"");
}

Verdict ScriptRunner::run(const Command& command) {
    switch (command.type) {
        case CommandType::Module:
            return define_module(command);
        case CommandType::Register:
            return register_module(command);
        case CommandType::Action: {
            std::string problem;
            auto outcome = perform(*command.action, problem);
            if (!outcome) return Verdict::fail(problem);
            if (outcome->completed()) return Verdict::pass();
            return Verdict::fail(describe_outcome(*outcome));
        }
        case CommandType::AssertReturn:
            return assert_return(command);
        case CommandType::AssertTrap:
            return assert_trap(command, false);
        case CommandType::AssertExhaustion:
            return assert_trap(command, true);
        case CommandType::AssertInvalid:
        case CommandType::AssertMalformed:
            return assert_not_compiled(command);
        case CommandType::AssertUnlinkable:
            return assert_unlinkable(command);
        case CommandType::AssertUninstantiable:
            return assert_uninstantiable(command);
    }
    return Verdict::fail("unknown command");
}

}  // namespace

FileReport run_script(const Script& script, const fs::path& directory, std::string file,
                      const RunOptions& options) {
    FileReport report;
    report.file = std::move(file);
    ScriptRunner runner(directory, options);
    if (auto started = runner.start(); !started) {
        report.failed = 1;
        report.failures.push_back(
            {0, CommandType::Module, "spectest module: " + started.error().to_string()});
        return report;
    }
    for (const auto& command : script.commands) {
        ++report.ran[static_cast<int>(command.type)];
        Verdict verdict = runner.run(command);
        bool assertion = is_assertion(command.type);
        switch (verdict.kind) {
            case Verdict::Kind::Pass:
                if (assertion) ++report.passed;
                break;
            case Verdict::Kind::Skip:
                ++report.skipped;
                break;
            case Verdict::Kind::Fail:
                ++report.failed;
                report.failures.push_back({command.line, command.type, std::move(verdict.message)});
                break;
        }
    }
    return report;
}

}  // namespace esta::app::wast
