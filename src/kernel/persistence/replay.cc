#include "kernel/persistence/replay.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "kernel/abi_signature.h"
#include "kernel/abi_table.h"
#include "kernel/cap_tree.h"
#include "kernel/persistence/kernel_envelope.h"
#include "kernel/process.h"
#include "kernel/syscalls/services.h"
#include "kernel/syscalls/syscall_capture.h"
#include "kernel/syscalls/syscalls.h"
#include "observe/crypto.h"
#include "protocol/input_log.h"

namespace esta::kernel {
namespace {

using protocol::SyscallAnswer;

constexpr std::size_t kShownBytes = 48;
constexpr std::size_t kScanRecords = 4096;

// One step of a life: a delivered message or an answered syscall.
struct Step {
    u64 record = 0;
    std::optional<protocol::Envelope> delivery;
    SyscallAnswer answer;
};

struct Life {
    protocol::ProcessStart start;
    std::vector<Step> steps;
    std::optional<protocol::ProcessEnd> end;  // When it ended (killed from outside too).
};

// Requests with an effect outside the process: what T-1 calls its outputs.
bool is_output(std::string_view function) {
    static constexpr std::string_view kOutputs[] = {"send",  "reply", "call",   "audit",
                                                    "spawn", "log",   "metric", "exit"};
    return std::find(std::begin(kOutputs), std::end(kOutputs), function) != std::end(kOutputs);
}

// "beta\xc0\xd6…": printable bytes as they are, the others escaped; at most kShownBytes.
std::string show_bytes(const std::vector<u8>& bytes, std::size_t from = 0) {
    static constexpr char kHex[] = "0123456789abcdef";
    const std::size_t end = std::min(bytes.size(), from + kShownBytes);
    std::string text = "\"";
    for (std::size_t i = from; i < end; ++i) {
        const u8 byte = bytes[i];
        if (byte >= 0x20 && byte < 0x7F && byte != '\\' && byte != '"') {
            text += static_cast<char>(byte);
        } else {
            text += "\\x";
            text += kHex[byte >> 4];
            text += kHex[byte & 15];
        }
    }
    text += "\"";
    if (end < bytes.size()) text += "…";
    return text;
}

std::string_view param_name(const abi::Function* function, std::size_t index) {
    if (function && index < function->params.size()) return function->params[index].name;
    return "?";
}

// "send(h=3, type=17, …) ptr=\"hello\"": the request as the process made it.
std::string describe(const SyscallAnswer& request) {
    const abi::Function* function = abi::find_function(request.function);
    std::string text = request.function + "(";
    for (std::size_t i = 0; i < request.args.size(); ++i) {
        if (i != 0) text += ", ";
        text += std::string(param_name(function, i)) + "=" + std::to_string(request.args[i]);
    }
    text += ")";
    for (std::size_t i = 0; i < request.request.size(); ++i) {
        if (!request.request[i].empty())
            text += " bytes#" + std::to_string(i) + "=" + show_bytes(request.request[i]);
    }
    return text;
}

std::string describe(const protocol::Envelope& delivery) {
    return "message " + delivery.type + " payload=" + show_bytes(delivery.payload.bytes);
}

// What differs between the journal's request and the replay's, or nullopt.
std::optional<std::string> compare(const SyscallAnswer& expected, const SyscallAnswer& got) {
    if (expected.function != got.function)
        return "a different syscall: " + expected.function + " live, " + got.function + " now";
    const abi::Function* function = abi::find_function(got.function);
    for (std::size_t i = 0; i < std::min(expected.args.size(), got.args.size()); ++i) {
        if (expected.args[i] != got.args[i]) {
            return "argument `" + std::string(param_name(function, i)) + "` of " + got.function +
                   ": " + std::to_string(expected.args[i]) + " live, " +
                   std::to_string(got.args[i]) + " now";
        }
    }
    if (expected.args.size() != got.args.size())
        return "the number of arguments of " + got.function;
    for (std::size_t i = 0; i < std::min(expected.request.size(), got.request.size()); ++i) {
        const auto& a = expected.request[i];
        const auto& b = got.request[i];
        auto first = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
        if (first.first == a.end() && first.second == b.end()) continue;
        const auto offset = static_cast<std::size_t>(first.first - a.begin());
        return "bytes#" + std::to_string(i) + " of " + got.function + " differ at offset " +
               std::to_string(offset) + ": " + show_bytes(a, offset) + " live, " +
               show_bytes(b, offset) + " now";
    }
    if (expected.request.size() != got.request.size()) return "the buffers of " + got.function;
    return std::nullopt;
}

// Ends no replay can reproduce, since the wall clock or the host decided them: killed from
// outside, the K-43 watchdog (trap 3001), host memory (trap 3002).
bool stopped_from_outside(const std::string& exit) {
    return exit == ExitReason::killed().to_string() || exit == "crashed(trap 3001)" ||
           exit == "crashed(trap 3002)";
}

// Answers one life's syscalls from its steps. Also the replayed process's recorder: a
// reactive handler starting on a message advances past that message's delivery step.
class ReplaySession final : public ImportProvider, public KernelAnswerRecorder {
  public:
    ReplaySession(const Life& life, u32 index, ReplayReport& report)
        : m_life(life), m_index(index), m_report(report) {}

    bool stopped() const { return m_report.difference.has_value(); }
    bool at_end() const { return m_cursor >= m_life.steps.size(); }
    const Step* next() const { return at_end() ? nullptr : &m_life.steps[m_cursor]; }

    void define_imports(wasm::Store& store, Process& process, wasm::Linker& linker) override {
        Process* target = &process;
        for (const abi::Function& function : abi::functions()) {
            const abi::Function* entry = &function;
            auto host = [this, target, entry](wasm::HostContext& context,
                                              std::span<const wasm::Value> args,
                                              std::span<wasm::Value> results) {
                return answer(*entry, *target, context.memory(), args, results);
            };
            wasm::FuncRef ref = store.create_host_function(abi::wasm_signature(function), host);
            linker.define(abi::kImportModule, function.name, wasm::Extern::of(ref));
        }
    }

    void started(ProcessId, const protocol::ProcessStart&, Nanos) override {}
    void answered(ProcessId, SyscallAnswer, Nanos) override {}
    void ended(ProcessId, const protocol::ProcessEnd&, Nanos) override {}
    void delivered(ProcessId, const Message&) override {
        // The loop queued the message at the cursor (it is a delivery step). A reactive
        // handler is given one message: the one its recv must take.
        m_pending.clear();
        if (!at_end()) m_pending.push_back(&m_life.steps[m_cursor]);
        ++m_cursor;
        ++m_report.inputs;
        ++m_inputs;
    }

    void differ(std::string what, std::string expected, std::string got) {
        if (stopped()) return;
        const Step* step = next();
        m_report.difference = ReplayDifference{m_index,         m_inputs,
                                               m_syscalls,      step ? step->record : 0,
                                               std::move(what), std::move(expected),
                                               std::move(got)};
    }
    std::string expected_next() const {
        const Step* step = next();
        if (!step) return "the journal ends";
        return step->delivery ? describe(*step->delivery) : describe(step->answer);
    }

  private:
    wasm::HostResult answer(const abi::Function& function, Process& process,
                            wasm::LinearMemory* memory, std::span<const wasm::Value> args,
                            std::span<wasm::Value> results) {
        if (stopped()) return wasm::HostResult::exit(0);
        // An actor's message is journaled just before the recv that took it.
        while (process.style() == ModuleStyle::Actor && next() && next()->delivery) {
            m_pending.push_back(next());
            ++m_cursor;
            ++m_report.inputs;
            ++m_inputs;
        }
        const SyscallAnswer got = capture_request(function, memory, args);
        if (at_end()) {
            // Live, the process was still in this call when the journal ends.
            process.prepare_wait(ProcessState::Waiting);
            return wasm::HostResult::block();
        }
        ++m_syscalls;
        const Step& step = *next();
        if (step.delivery) {
            differ("the live handler had returned; the replay's makes one more syscall",
                   expected_next(), describe(got));
            return wasm::HostResult::exit(0);
        }
        if (auto what = compare(step.answer, got)) {
            differ(*what, describe(step.answer), describe(got));
            return wasm::HostResult::exit(0);
        }
        for (const auto& write : step.answer.writes) {
            auto range = guest_range(memory, write.address, static_cast<u32>(write.bytes.size()));
            if (!range) {
                differ("the journal's answer writes outside the replay's memory",
                       describe(step.answer), describe(got));
                return wasm::HostResult::exit(0);
            }
            std::copy(write.bytes.begin(), write.bytes.end(), range->begin());
        }
        if (function.name == "recv" && step.answer.result >= 0) {
            if (auto what = take_delivery(memory, step.answer)) {
                differ(*what,
                       m_pending.empty() ? "no delivered message waiting"
                                         : describe(*m_pending.front()->delivery),
                       describe(step.answer));
                return wasm::HostResult::exit(0);
            }
        }
        ++m_cursor;
        ++m_report.answers;
        if (is_output(function.name)) ++m_report.outputs;
        if (step.answer.exited) return wasm::HostResult::exit(static_cast<u32>(step.answer.result));
        if (!results.empty()) {
            results[0] = function.result == abi::ValType::I64
                             ? wasm::Value::i64(static_cast<u64>(step.answer.result))
                             : wasm::Value::i32(static_cast<u32>(step.answer.result));
        }
        return wasm::HostResult::ok();
    }

    // The journal's recv answer against its delivery records: what the answer put in the
    // process's memory (the payload at buf, the type and length in the info record) must be
    // a message delivered and not yet taken; that one is taken. Else what differs.
    std::optional<std::string> take_delivery(wasm::LinearMemory* memory,
                                             const SyscallAnswer& answer) {
        if (answer.args.size() < 5) return "recv without its arguments";
        const u32 length = static_cast<u32>(answer.result);
        auto payload = guest_range(memory, static_cast<u32>(answer.args[2]), length);
        auto info = guest_range(memory, static_cast<u32>(answer.args[4]), 12);
        if (!payload || !info) return "the journal's recv answer is outside the replay's memory";
        u32 type = 0, info_length = 0;
        for (int i = 0; i < 4; ++i) {
            type |= u32{(*info)[4 + i]} << (8 * i);
            info_length |= u32{(*info)[8 + i]} << (8 * i);
        }
        for (auto it = m_pending.begin(); it != m_pending.end(); ++it) {
            auto message = from_delivery_envelope(*(*it)->delivery);
            if (!message || message->type.value() != type || info_length != length ||
                !std::equal(payload->begin(), payload->end(), message->payload.begin(),
                            message->payload.end())) {
                continue;
            }
            m_pending.erase(it);
            return std::nullopt;
        }
        return "recv answered type " + std::to_string(type) + " payload " +
               show_bytes(std::vector<u8>(payload->begin(), payload->end())) +
               ", which is not a message the journal delivered";
    }

    const Life& m_life;
    u32 m_index;
    // Delivery steps not yet taken by a recv, oldest first.
    std::deque<const Step*> m_pending;
    ReplayReport& m_report;
    std::size_t m_cursor = 0;
    u64 m_inputs = 0;
    u64 m_syscalls = 0;
};

Result<std::vector<Life>> read_lives(protocol::Journal& journal, ProcessId pid) {
    auto history = ESTA_TRY(protocol::read_history(journal, protocol::StreamId(pid.value())));
    std::vector<Life> lives;
    for (auto& step : history) {
        if (auto* start = std::get_if<protocol::ProcessStart>(&step.event)) {
            lives.push_back(Life{std::move(*start), {}, std::nullopt});
        } else if (lives.empty()) {
            continue;  // Before the first start (a persistent message sent early).
        } else if (auto* envelope = std::get_if<protocol::Envelope>(&step.event)) {
            // A persistent send's own record is not a delivery; only deliveries are inputs.
            if (is_delivery(*envelope))
                lives.back().steps.push_back(Step{step.sequence, std::move(*envelope), {}});
        } else if (auto* answer = std::get_if<SyscallAnswer>(&step.event)) {
            lives.back().steps.push_back(Step{step.sequence, std::nullopt, std::move(*answer)});
        } else if (auto* end = std::get_if<protocol::ProcessEnd>(&step.event)) {
            lives.back().end = std::move(*end);
        }
    }
    return lives;
}

// Runs one life to its end; the outcome goes into `report`.
Result<void> replay_life(const Life& life, u32 index,
                         const std::shared_ptr<const wasm::CompiledModule>& module,
                         ReplayReport& report) {
    ReplaySession session(life, index, report);
    NullCapabilityAudit audit;
    CapTree tree(audit);
    ObjectIdAllocator ids;
    SpawnRequest request;
    request.module = module;
    request.entry = life.start.entry.empty() ? "_start" : life.start.entry;
    request.budgets.fuel_per_slice = UINT64_MAX / 2;  // One slice runs to the next wait.
    request.mailbox = MailboxConfig{.capacity = 2, .max_payload = UINT32_MAX};
    request.recorder = &session;
    auto spawned = Process::spawn(std::move(request), ProcessId(1), ids, tree, session);
    if (!spawned) {
        session.differ("the module does not start: " + spawned.error().to_string(),
                       session.expected_next(), "no process");
        return Ok();
    }
    Process& process = **spawned;
    ESTA_TRY(process.transition(ProcessState::Ready));
    const bool reactive = process.style() == ModuleStyle::Reactive;
    while (!session.stopped() && process.state() != ProcessState::Completed) {
        if (reactive && process.mailbox().size() == 0) {
            const Step* next = session.next();
            if (!next) break;
            if (!next->delivery) {
                session.differ("the live handler made one more syscall; the replay's returned",
                               session.expected_next(), "the handler returned");
                break;
            }
            auto message = from_delivery_envelope(*next->delivery);
            if (!message) return message.error();
            process.mailbox().push(std::move(*message), Admission::Queue);
            if (process.state() == ProcessState::Waiting)
                ESTA_TRY(process.transition(ProcessState::Ready));
        }
        if (process.state() != ProcessState::Ready) break;
        ESTA_TRY(process.run_slice());
        if (!reactive && process.state() != ProcessState::Ready) break;
    }
    if (session.stopped()) return Ok();
    const std::string fuel = " after " + std::to_string(process.fuel_used()) + " fuel";
    // Stopped from outside: live, the life stopped where its stream stops; whatever the
    // replay's would do next was never asked of a kernel.
    if (life.end && stopped_from_outside(life.end->exit)) {
        if (!session.at_end()) {
            session.differ(
                "the live process went on; the replay's ended", session.expected_next(),
                (process.exit_reason() ? process.exit_reason()->to_string() : "waiting") + fuel);
            return Ok();
        }
        report.end = life.end->exit + " (stopped from outside)";
        return Ok();
    }
    if (process.state() == ProcessState::Completed) {
        report.end = process.exit_reason()->to_string();
        if (!session.at_end()) {
            session.differ("the live process went on; the replay's ended", session.expected_next(),
                           report.end + fuel);
        } else if (life.end &&
                   (life.end->exit != report.end || life.end->fuel != process.fuel_used())) {
            // T-1: traps and fuel reproduce too.
            session.differ("the process ended differently",
                           life.end->exit + " after " + std::to_string(life.end->fuel) + " fuel",
                           report.end + fuel);
        }
    } else {
        report.end = "waiting (the journal ends here)";
        if (life.end) {
            session.differ("the live process ended; the replay's waits for an answer",
                           life.end->exit + " after " + std::to_string(life.end->fuel) + " fuel",
                           "waiting" + fuel);
        }
    }
    return Ok();
}

}  // namespace

std::string digest_hex(const ModuleDigest& digest) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string text;
    for (u8 byte : digest) {
        text += kHex[byte >> 4];
        text += kHex[byte & 15];
    }
    return text;
}

Result<std::vector<JournaledProcess>> list_journaled_processes(protocol::Journal& journal) {
    std::set<u64> streams;
    u64 sequence = journal.first_sequence();
    while (sequence <= journal.last_sequence()) {
        auto records = ESTA_TRY(journal.read_from(sequence, kScanRecords));
        if (records.empty()) break;
        for (const auto& record : records) {
            if (record.type == protocol::RecordType::Marker && !record.data.empty() &&
                record.data[0] == protocol::kStartedMarker && record.stream.value() <= UINT32_MAX)
                streams.insert(record.stream.value());
        }
        sequence = records.back().sequence + 1;
    }
    std::vector<JournaledProcess> processes;
    for (u64 stream : streams) {
        const ProcessId pid(static_cast<u32>(stream));
        auto lives = ESTA_TRY(read_lives(journal, pid));
        JournaledProcess entry{pid,
                               lives.back().start.name,
                               lives.back().start.module_sha256,
                               static_cast<u32>(lives.size()),
                               0,
                               0};
        for (const Life& life : lives) {
            for (const Step& step : life.steps)
                ++(step.delivery ? entry.inputs : entry.answers);
        }
        processes.push_back(std::move(entry));
    }
    return processes;
}

Result<ReplayReport> replay_process(protocol::Journal& journal, ProcessId pid,
                                    ByteSpan module_bytes) {
    auto lives = ESTA_TRY(read_lives(journal, pid));
    if (lives.empty())
        return Err(Status::NotFound, "replay.no_such_process", Detail{.index = pid.value()});
    const ModuleDigest digest = observe::sha256(module_bytes);
    ReplayReport report;
    for (u32 i = 0; i < lives.size() && report.identical(); ++i) {
        const ModuleDigest& recorded = lives[i].start.module_sha256;
        if (recorded == ModuleDigest{}) {
            ++report.unverified_lives;
        } else if (recorded != digest) {
            report.difference =
                ReplayDifference{i,
                                 0,
                                 0,
                                 0,
                                 "the module changed: its SHA-256 is not the one the journal names",
                                 "module " + digest_hex(recorded),
                                 "module " + digest_hex(digest)};
            break;
        }
    }
    if (!report.identical()) return report;
    auto module = wasm::compile(module_bytes);
    if (!module) return Err(Status::Invalid, "replay.bad_module");
    for (u32 i = 0; i < lives.size() && report.identical(); ++i) {
        ++report.lives;
        ESTA_TRY(replay_life(lives[i], i, *module, report));
    }
    return report;
}

}  // namespace esta::kernel
