// SIMD through the whole engine: decode, validate, lower to slots, interpret with the host
// path. Randomly generated straight-line programs over every 0xFD row are run by the engine
// and by a reference that applies each operator's portable definition to a model of the
// locals and memory; results and memory must agree bit for bit (REQUIREMENTS T-5). The same
// programs check that every SIMD instruction costs exactly one unit of fuel (T-3).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "wasm/binary_builder_test_util.h"
#include "wasm/opcodes.h"
#include "wasm/simd_handlers.h"
#include "wasm/wasm.h"

namespace esta::wasm {
namespace {

using test::BinaryBuilder;
using test::Bytes;
using test::concat;
using test::leb;

constexpr u8 kSimd = 0xFD;
constexpr u32 kMemoryBytes = 1024;  // Initialized by a data segment; accesses stay inside.
constexpr u32 kSteps = 48;          // SIMD instructions per program.
constexpr unsigned kPrograms = 400;

// The locals of a program, in declaration order: four v128s, then two of each scalar type.
// The model keeps them in slots the way the engine does (a v128 in two).
constexpr std::array<ValType, 12> kLocals = {
    ValType::V128, ValType::V128, ValType::V128, ValType::V128, ValType::I32, ValType::I32,
    ValType::I64,  ValType::I64,  ValType::F32,  ValType::F32,  ValType::F64, ValType::F64};
constexpr u32 kLocalSlots = 16;
constexpr u32 kAddressSlot = 16;  // The model's slot for a memory instruction's address.
constexpr u32 kResultSlot = 17;   // And for the result, before it goes to its local (2 slots).

u32 slot_of(u32 local) {
    return local < 4 ? 2 * local : 4 + local;
}

Bytes sleb(i64 value) {
    Bytes out;
    for (;;) {
        const u8 byte = value & 0x7F;
        value >>= 7;
        if ((value == 0 && !(byte & 0x40)) || (value == -1 && (byte & 0x40))) {
            out.push_back(byte);
            return out;
        }
        out.push_back(byte | 0x80);
    }
}

// Lane count of a Lane or MemArgLane immediate: by the shape prefix or the access width.
unsigned lane_limit(std::string_view name) {
    if (name.starts_with("v128.")) {
        if (name.find("8_lane") != std::string_view::npos) return 16;
        if (name.find("16_lane") != std::string_view::npos) return 8;
        if (name.find("32_lane") != std::string_view::npos) return 4;
        return 2;
    }
    if (name.starts_with("i8x16")) return 16;
    if (name.starts_with("i16x8")) return 8;
    if (name.starts_with("i32x4") || name.starts_with("f32x4")) return 4;
    return 2;
}

// Values where host instructions and the spec tend to disagree, mixed with random bits.
class Values {
  public:
    explicit Values(u64 seed) : m_random(seed) {}

    u64 bits() { return m_random(); }
    u32 below(u32 n) { return static_cast<u32>(m_random() % n); }

    u32 word() {
        static constexpr u32 kSpecial[] = {0,          1,          0x7FFFFFFF, 0x80000000,
                                           0xFFFFFFFF, 0x7FC00000, 0xFFC00001, 0x7F800001,
                                           0x7F800000, 0xFF800000, 0x00000001, 0x4F000000,
                                           0xCF000001, 0x3F000000, 0x3FC00000, 0x80000001};
        switch (below(4)) {
            case 0:
                return kSpecial[below(16)];
            case 1:
                return below(70);  // Shift counts around the lane widths.
            default:
                return static_cast<u32>(bits());
        }
    }
    u64 doubleword() {
        static constexpr u64 kSpecial[] = {0,
                                           0x8000000000000000,
                                           0x7FF8000000000000,
                                           0xFFF8000000000001,
                                           0x7FF0000000000001,
                                           0x7FF0000000000000,
                                           0x0000000000000001,
                                           0x41E0000000000000,
                                           0xC1E0000000200000,
                                           0x41F0000000000000,
                                           0x3FE0000000000000,
                                           0x4330000000000001,
                                           0x47EFFFFFE0000000};
        switch (below(3)) {
            case 0:
                return kSpecial[below(13)];
            case 1:
                return u64{word()} | u64{word()} << 32;
            default:
                return bits();
        }
    }
    V128 vector() {
        V128 value;
        const u32 kind = below(3);
        for (unsigned i = 0; i < 4; ++i)
            value.set_lane<u32>(i, kind == 0 ? static_cast<u32>(bits()) : word());
        if (kind == 2) {
            value.set_lane<u64>(0, doubleword());
            value.set_lane<u64>(1, doubleword());
        }
        return value;
    }

  private:
    std::mt19937_64 m_random;
};

// One SIMD instruction of a program: its operands come from locals (or, for a memory
// instruction's address, a constant) and its result goes to a local of its type.
struct Step {
    const OpcodeInfo* info = nullptr;
    std::array<u32, 3> operands{};  // Local indices.
    u32 result = 0;                 // Local index.
    u32 address = 0;
    u32 offset = 0;
    u8 lane = 0;
    V128 bytes{};  // v128.const, i8x16.shuffle.
};

struct Program {
    std::vector<u64> initial;  // Slot values of the locals.
    std::vector<u8> memory;    // The first kMemoryBytes of memory.
    std::vector<Step> steps;
    Bytes module;
    u64 instructions = 0;  // Wasm instructions the body executes, `end` included.
};

std::vector<const OpcodeInfo*> simd_rows() {
    std::vector<const OpcodeInfo*> rows;
    for (const OpcodeInfo& info : kOpcodes) {
        if (info.prefix == kPrefixSimd) rows.push_back(&info);
    }
    return rows;
}

// A local of `type`, chosen at random.
u32 pick_local(Values& values, ValType type) {
    for (u32 first = 0; first < kLocals.size(); ++first) {
        if (kLocals[first] == type) return first + values.below(type == ValType::V128 ? 4 : 2);
    }
    ADD_FAILURE() << "no local of type " << val_type_name(type);
    return 0;
}

Program generate(u64 seed) {
    Values values(seed);
    Program program;
    const std::vector<const OpcodeInfo*> rows = simd_rows();
    Bytes body;
    auto count = [&](u64 n) { program.instructions += n; };

    // Every local starts with a value, set by a constant.
    for (u32 local = 0; local < kLocals.size(); ++local) {
        const u32 slot = slot_of(local);
        program.initial.resize(kLocalSlots);
        switch (kLocals[local]) {
            case ValType::V128: {
                const V128 value = values.vector();
                program.initial[slot] = value.low();
                program.initial[slot + 1] = value.high();
                body.insert(body.end(), {kSimd, 0x0C});
                body.insert(body.end(), value.bytes.begin(), value.bytes.end());
                break;
            }
            case ValType::I32: {
                const u32 value = values.word();
                program.initial[slot] = value;
                body.push_back(0x41);
                const Bytes encoded = sleb(static_cast<i32>(value));
                body.insert(body.end(), encoded.begin(), encoded.end());
                break;
            }
            case ValType::I64: {
                const u64 value = values.doubleword();
                program.initial[slot] = value;
                body.push_back(0x42);
                const Bytes encoded = sleb(static_cast<i64>(value));
                body.insert(body.end(), encoded.begin(), encoded.end());
                break;
            }
            case ValType::F32: {
                const u32 value = values.word();
                program.initial[slot] = value;
                body.push_back(0x43);
                for (unsigned i = 0; i < 4; ++i)
                    body.push_back(static_cast<u8>(value >> (8 * i)));
                break;
            }
            default: {
                const u64 value = values.doubleword();
                program.initial[slot] = value;
                body.push_back(0x44);
                for (unsigned i = 0; i < 8; ++i)
                    body.push_back(static_cast<u8>(value >> (8 * i)));
                break;
            }
        }
        body.push_back(0x21);  // local.set
        body.push_back(static_cast<u8>(local));
        count(2);
    }

    for (u32 i = 0; i < kSteps; ++i) {
        Step step;
        step.info = rows[values.below(static_cast<u32>(rows.size()))];
        const Signature& signature = step.info->signature;
        const ImmediateKind immediate = step.info->immediate;
        const bool memory =
            immediate == ImmediateKind::MemArg || immediate == ImmediateKind::MemArgLane;
        for (u32 p = 0; p < signature.param_count; ++p) {
            if (memory && p == 0) {
                step.offset = values.below(64);
                step.address = values.below(kMemoryBytes - 16 - step.offset + 1);
                body.push_back(0x41);
                const Bytes encoded = sleb(step.address);
                body.insert(body.end(), encoded.begin(), encoded.end());
            } else {
                step.operands[p] = pick_local(values, signature.params[p]);
                body.push_back(0x20);  // local.get
                body.push_back(static_cast<u8>(step.operands[p]));
            }
            count(1);
        }
        body.push_back(kSimd);
        const Bytes code = leb(step.info->code);
        body.insert(body.end(), code.begin(), code.end());
        count(1);
        switch (immediate) {
            case ImmediateKind::MemArg:
            case ImmediateKind::MemArgLane: {
                body.push_back(0);  // Alignment 1 is always valid.
                const Bytes offset = leb(step.offset);
                body.insert(body.end(), offset.begin(), offset.end());
                if (immediate == ImmediateKind::MemArg) break;
                [[fallthrough]];
            }
            case ImmediateKind::Lane:
                step.lane = static_cast<u8>(values.below(lane_limit(step.info->name)));
                body.push_back(step.lane);
                break;
            case ImmediateKind::Shuffle:
                for (u8& lane : step.bytes.bytes)
                    lane = static_cast<u8>(values.below(32));
                body.insert(body.end(), step.bytes.bytes.begin(), step.bytes.bytes.end());
                break;
            case ImmediateKind::V128Const:
                step.bytes = values.vector();
                body.insert(body.end(), step.bytes.bytes.begin(), step.bytes.bytes.end());
                break;
            default:
                break;
        }
        if (signature.result_count == 1) {
            step.result = pick_local(values, signature.result);
            body.push_back(0x21);
            body.push_back(static_cast<u8>(step.result));
            count(1);
        }
        program.steps.push_back(step);
    }
    // Every local is a result.
    for (u32 local = 0; local < kLocals.size(); ++local) {
        body.push_back(0x20);
        body.push_back(static_cast<u8>(local));
        count(1);
    }
    count(1);  // end

    program.memory.resize(kMemoryBytes);
    for (u8& byte : program.memory)
        byte = static_cast<u8>(values.word());

    Bytes results;
    for (ValType type : kLocals)
        results.push_back(static_cast<u8>(type));
    const Bytes locals = {0x04, 0x7B, 0x02, 0x7F, 0x02, 0x7E, 0x02, 0x7D, 0x02, 0x7C};
    // One active segment at address 0.
    const Bytes data = concat({{0x00, 0x41, 0x00, 0x0B}, leb(kMemoryBytes), program.memory});
    program.module = BinaryBuilder()
                         .section(1, concat({{0x01, 0x60, 0x00}, leb(results.size()), results}))
                         .section(3, {0x01, 0x00})
                         .section(5, {0x01, 0x00, 0x01})
                         .section(7, concat({{0x01}, test::name("run"), {0x00, 0x00}}))
                         .section(10, concat({{0x01}, test::code_entry(locals, 5, body)}))
                         .section(11, concat({{0x01}, data}))
                         .bytes();
    return program;
}

// The reference: each step applied to a model of the slots and memory through the
// operators' portable definitions.
struct Model {
    std::vector<u64> slots;
    std::vector<u8> memory;
};

Model reference(const Program& program) {
    Model model{program.initial, program.memory};
    model.slots.resize(kResultSlot + 2);
    model.memory.resize(64 * 1024);
    for (const Step& step : program.steps) {
        const ImmediateKind immediate = step.info->immediate;
        const bool memory =
            immediate == ImmediateKind::MemArg || immediate == ImmediateKind::MemArgLane;
        LInstruction instruction{.c = kResultSlot};
        u32* fields[3] = {&instruction.a, &instruction.b, &instruction.d};
        for (u32 p = 0; p < step.info->signature.param_count; ++p)
            *fields[p] = memory && p == 0 ? kAddressSlot : slot_of(step.operands[p]);
        model.slots[kAddressSlot] = step.address;
        instruction.imm = memory ? step.offset : 0;
        if (immediate == ImmediateKind::Lane || immediate == ImmediateKind::MemArgLane)
            instruction.imm |= u64{step.lane} << 32;
        const simd_handlers::Context context{model.memory.data(), model.memory.size(), &step.bytes};
        const simd_handlers::Handler handler = simd_handlers::handler_for<true>(step.info->name);
        EXPECT_NE(handler, nullptr) << step.info->name;
        if (handler == nullptr) return model;
        EXPECT_TRUE(handler(model.slots.data(), &instruction, context)) << step.info->name;
        if (step.info->signature.result_count == 1) {
            const u32 slot = slot_of(step.result);
            model.slots[slot] = model.slots[kResultSlot];
            if (step.info->signature.result == ValType::V128)
                model.slots[slot + 1] = model.slots[kResultSlot + 1];
        }
    }
    return model;
}

struct EngineRun {
    Outcome outcome;
    std::vector<u8> memory;
};

EngineRun run(const Program& program, u64 fuel = ~u64{0}) {
    EngineRun result;
    Diagnostic diagnostic;
    auto module = compile(program.module, {}, &diagnostic);
    EXPECT_TRUE(module.has_value()) << diagnostic.to_string();
    if (!module) return result;
    Store store;
    Linker linker;
    auto instantiated = instantiate(store, *module, linker, {});
    EXPECT_TRUE(instantiated.has_value());
    if (!instantiated) return result;
    auto outcome =
        invoke(store, instantiated->instance->function("run"), {}, ExecutionConfig{.fuel = fuel});
    EXPECT_TRUE(outcome.has_value());
    if (!outcome) return result;
    result.outcome = std::move(*outcome);
    auto bytes = instantiated->instance->memory()->span(0, 64 * 1024);
    EXPECT_TRUE(bytes.has_value());
    if (bytes) result.memory.assign(bytes->begin(), bytes->end());
    return result;
}

std::string listing(const Program& program) {
    std::string text;
    for (const Step& step : program.steps)
        text += std::string(step.info->name) + " ";
    return text;
}

TEST(SimdEngine, T5_RandomProgramsMatchThePortableReferenceBitForBit) {
    for (unsigned i = 0; i < kPrograms; ++i) {
        const Program program = generate(0x51D0 + i);
        const Model expected = reference(program);
        const EngineRun actual = run(program);
        ASSERT_EQ(actual.outcome.kind, Outcome::Kind::Completed) << listing(program);
        ASSERT_EQ(actual.outcome.results.size(), kLocals.size());
        for (u32 local = 0; local < kLocals.size(); ++local) {
            const Value want = Value::from_slots(kLocals[local], &expected.slots[slot_of(local)]);
            EXPECT_EQ(actual.outcome.results[local], want)
                << "program " << i << ", local " << local << ": " << listing(program);
        }
        EXPECT_TRUE(actual.memory == expected.memory)
            << "program " << i << ": " << listing(program);
        if (HasFailure()) return;
    }
}

// Every row appears in the programs above, so the comparison covers every instruction.
TEST(SimdEngine, RandomProgramsUseEveryRow) {
    std::vector<bool> seen(256, false);
    for (unsigned i = 0; i < kPrograms; ++i) {
        for (const Step& step : generate(0x51D0 + i).steps)
            seen[step.info->code] = true;
    }
    for (const OpcodeInfo* row : simd_rows())
        EXPECT_TRUE(seen[row->code]) << row->name;
}

TEST(SimdEngine, T3_EverySimdInstructionCostsOneUnitOfFuel) {
    for (unsigned i = 0; i < 40; ++i) {
        const Program program = generate(0xF0E1 + i);
        const EngineRun full = run(program);
        ASSERT_EQ(full.outcome.kind, Outcome::Kind::Completed);
        EXPECT_EQ(full.outcome.fuel_used, program.instructions) << listing(program);
        // Any smaller budget stops the program having spent exactly that budget.
        for (u64 budget : {u64{0}, program.instructions / 3, program.instructions - 1}) {
            const EngineRun cut = run(program, budget);
            ASSERT_EQ(cut.outcome.kind, Outcome::Kind::Trapped);
            EXPECT_EQ(cut.outcome.trap.kind, TrapKind::FuelExhausted);
            EXPECT_EQ(cut.outcome.fuel_used, budget);
        }
    }
}

// Which stores ran shows where the fuel ran out: each v128.store is the third instruction of
// its group (address, value, store), so a budget of b completes b / 3 of them.
TEST(SimdEngine, T3_FuelStopsAtTheExactSimdInstruction) {
    Bytes body;
    constexpr u32 kStores = 10;
    for (u32 i = 0; i < kStores; ++i) {
        body.push_back(0x41);
        const Bytes address = sleb(16 * i);
        body.insert(body.end(), address.begin(), address.end());
        body.insert(body.end(), {kSimd, 0x0C});
        for (u32 byte = 0; byte < 16; ++byte)
            body.push_back(static_cast<u8>(i + 1));
        body.insert(body.end(), {kSimd, 0x0B, 0x00, 0x00});  // v128.store align=1 offset=0
    }
    const Bytes bytes = BinaryBuilder()
                            .section(1, {0x01, 0x60, 0x00, 0x00})
                            .section(3, {0x01, 0x00})
                            .section(5, {0x01, 0x00, 0x01})
                            .section(7, concat({{0x01}, test::name("stores"), {0x00, 0x00}}))
                            .section(10, concat({{0x01}, test::code_entry({}, 0, body)}))
                            .bytes();
    Diagnostic diagnostic;
    auto module = compile(bytes, {}, &diagnostic);
    ASSERT_TRUE(module.has_value()) << diagnostic.to_string();
    for (u64 budget = 0; budget <= 3 * kStores + 1; ++budget) {
        Store store;
        Linker linker;
        auto instantiated = instantiate(store, *module, linker, {});
        ASSERT_TRUE(instantiated.has_value());
        Instance& instance = *instantiated->instance;
        auto outcome =
            invoke(store, instance.function("stores"), {}, ExecutionConfig{.fuel = budget});
        ASSERT_TRUE(outcome.has_value());
        const u64 total = 3 * kStores + 1;  // And the function's end.
        EXPECT_EQ(outcome->fuel_used, std::min(budget, total));
        EXPECT_EQ(outcome->completed(), budget >= total);
        const auto memory = instance.memory()->span(0, 16 * kStores);
        ASSERT_TRUE(memory.has_value());
        for (u32 i = 0; i < kStores; ++i) {
            const u8 expected = i < budget / 3 ? static_cast<u8>(i + 1) : 0;
            EXPECT_EQ((*memory)[16 * i], expected) << "budget " << budget << ", store " << i;
            EXPECT_EQ((*memory)[16 * i + 15], expected) << "budget " << budget << ", store " << i;
        }
    }
}

}  // namespace
}  // namespace esta::wasm
