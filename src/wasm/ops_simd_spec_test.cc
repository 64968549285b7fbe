// The SIMD operators against the official spec tests (REQUIREMENTS E-1): every
// `assert_return` of ../shared/wasm-testsuite/simd_*.wast whose export simply applies one
// operator to its parameters is evaluated here directly, on both the portable and the host
// path, without a parser or interpreter in between. Exports that do more (memory, control,
// several instructions) are left to the engine's spec runner.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "wasm/ops_simd_list.h"

namespace esta::wasm::ops::simd {
namespace {

// ---------------------------------------------------------------------------------------------
// A minimal S-expression reader for .wast files.

struct Node {
    bool list = false;
    bool quoted = false;
    std::string atom;
    std::vector<Node> items;
    int line = 0;

    [[nodiscard]] bool is_form(std::string_view head) const {
        return list && !items.empty() && !items[0].list && items[0].atom == head;
    }
};

class Reader {
  public:
    explicit Reader(std::string text) : text_(std::move(text)) {}

    std::vector<Node> read_all() {
        std::vector<Node> forms;
        skip_space();
        while (position_ < text_.size()) {
            forms.push_back(read());
            skip_space();
        }
        return forms;
    }

  private:
    void skip_space() {
        while (position_ < text_.size()) {
            const char c = text_[position_];
            if (c == '\n') ++line_;
            if (std::isspace(static_cast<unsigned char>(c))) {
                ++position_;
            } else if (text_.compare(position_, 2, ";;") == 0) {
                while (position_ < text_.size() && text_[position_] != '\n')
                    ++position_;
            } else if (text_.compare(position_, 2, "(;") == 0) {
                const std::size_t end = text_.find(";)", position_);
                for (std::size_t i = position_; i < end && i < text_.size(); ++i)
                    line_ += text_[i] == '\n';
                position_ = end == std::string::npos ? text_.size() : end + 2;
            } else {
                return;
            }
        }
    }

    Node read() {
        Node node;
        node.line = line_;
        if (text_[position_] == '(') {
            node.list = true;
            ++position_;
            skip_space();
            while (position_ < text_.size() && text_[position_] != ')') {
                node.items.push_back(read());
                skip_space();
            }
            ++position_;
        } else if (text_[position_] == '"') {
            node.quoted = true;
            ++position_;
            while (position_ < text_.size() && text_[position_] != '"') {
                if (text_[position_] == '\\') node.atom += text_[position_++];
                node.atom += text_[position_++];
            }
            ++position_;
        } else {
            while (position_ < text_.size() &&
                   !std::isspace(static_cast<unsigned char>(text_[position_])) &&
                   text_[position_] != '(' && text_[position_] != ')') {
                node.atom += text_[position_++];
            }
        }
        return node;
    }

    std::string text_;
    std::size_t position_ = 0;
    int line_ = 1;
};

// ---------------------------------------------------------------------------------------------
// Literals.

std::string without_underscores(std::string_view text) {
    std::string result;
    for (const char c : text) {
        if (c != '_') result += c;
    }
    return result;
}

u64 parse_int(std::string_view text) {
    std::string digits = without_underscores(text);
    bool negative = false;
    if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
        negative = digits[0] == '-';
        digits.erase(0, 1);
    }
    const u64 magnitude =
        std::strtoull(digits.c_str(), nullptr, digits.starts_with("0x") ? 16 : 10);
    return negative ? u64{0} - magnitude : magnitude;
}

template <class F>
ops::detail::Bits<F> parse_float_bits(std::string_view text) {
    using Bits = ops::detail::Bits<F>;
    std::string body = without_underscores(text);
    bool negative = false;
    if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
        negative = body[0] == '-';
        body.erase(0, 1);
    }
    const Bits sign = negative ? ops::detail::kSignBit<F> : Bits{0};
    const Bits exponent = ops::detail::bits(std::numeric_limits<F>::infinity());
    if (body == "inf") return sign | exponent;
    if (body == "nan") return sign | ops::detail::bits(ops::detail::canonical_nan<F>());
    if (body.starts_with("nan:0x"))
        return sign | exponent | static_cast<Bits>(std::strtoull(body.c_str() + 6, nullptr, 16));
    F value;
    if constexpr (sizeof(F) == 4) {
        value = std::strtof(body.c_str(), nullptr);
    } else {
        value = std::strtod(body.c_str(), nullptr);
    }
    return sign | ops::detail::bits(value);
}

struct Value {
    std::string type;  // "v128", "i32", "i64", "f32", "f64"
    V128 vector;
    u64 scalar = 0;  // Bits, for scalar types.
};

std::optional<Value> parse_const(const Node& node) {
    if (!node.list || node.items.size() < 2) return std::nullopt;
    const std::string& head = node.items[0].atom;
    Value value;
    if (head == "v128.const") {
        value.type = "v128";
        const std::string& shape = node.items[1].atom;
        const unsigned lanes = static_cast<unsigned>(node.items.size() - 2);
        for (unsigned i = 0; i < lanes; ++i) {
            const std::string& lane = node.items[i + 2].atom;
            if (lane.starts_with("nan:c") || lane.starts_with("nan:a") ||
                lane.starts_with("-nan:a"))
                return std::nullopt;
            if (shape == "i8x16") value.vector.set_lane<u8>(i, static_cast<u8>(parse_int(lane)));
            if (shape == "i16x8") value.vector.set_lane<u16>(i, static_cast<u16>(parse_int(lane)));
            if (shape == "i32x4") value.vector.set_lane<u32>(i, static_cast<u32>(parse_int(lane)));
            if (shape == "i64x2") value.vector.set_lane<u64>(i, parse_int(lane));
            if (shape == "f32x4") value.vector.set_lane<u32>(i, parse_float_bits<f32>(lane));
            if (shape == "f64x2") value.vector.set_lane<u64>(i, parse_float_bits<f64>(lane));
        }
        return value;
    }
    value.type = head.substr(0, 3);
    const std::string& text = node.items[1].atom;
    if (head == "i32.const")
        value.scalar = static_cast<u32>(parse_int(text));
    else if (head == "i64.const")
        value.scalar = parse_int(text);
    else if (head == "f32.const")
        value.scalar = parse_float_bits<f32>(text);
    else if (head == "f64.const")
        value.scalar = parse_float_bits<f64>(text);
    else
        return std::nullopt;
    return value;
}

// Whether `bits` (one lane of `width` bits) matches the expected lane literal.
template <class F>
bool float_lane_matches(std::string_view expected, u64 bits) {
    using Bits = ops::detail::Bits<F>;
    const Bits lane = static_cast<Bits>(bits);
    const Bits magnitude = lane & ~ops::detail::kSignBit<F>;
    const Bits canonical = ops::detail::bits(ops::detail::canonical_nan<F>());
    if (expected.ends_with("nan:canonical")) return magnitude == canonical;
    if (expected.ends_with("nan:arithmetic")) return (magnitude & canonical) == canonical;
    return lane == parse_float_bits<F>(expected);
}

bool result_matches(const Node& expected, const Value& actual) {
    const std::string& head = expected.items[0].atom;
    if (head == "v128.const") {
        if (actual.type != "v128") return false;
        const std::string& shape = expected.items[1].atom;
        for (unsigned i = 0; i + 2 < expected.items.size(); ++i) {
            const std::string& lane = expected.items[i + 2].atom;
            bool ok = true;
            if (shape == "f32x4")
                ok = float_lane_matches<f32>(lane, actual.vector.lane<u32>(i));
            else if (shape == "f64x2")
                ok = float_lane_matches<f64>(lane, actual.vector.lane<u64>(i));
            else if (shape == "i8x16")
                ok = actual.vector.lane<u8>(i) == static_cast<u8>(parse_int(lane));
            else if (shape == "i16x8")
                ok = actual.vector.lane<u16>(i) == static_cast<u16>(parse_int(lane));
            else if (shape == "i32x4")
                ok = actual.vector.lane<u32>(i) == static_cast<u32>(parse_int(lane));
            else if (shape == "i64x2")
                ok = actual.vector.lane<u64>(i) == parse_int(lane);
            if (!ok) return false;
        }
        return true;
    }
    if (head.substr(0, 3) != actual.type) return false;
    const std::string& text = expected.items[1].atom;
    if (head == "f32.const") return float_lane_matches<f32>(text, actual.scalar);
    if (head == "f64.const") return float_lane_matches<f64>(text, actual.scalar);
    const std::optional<Value> value = parse_const(expected);
    return value && value->scalar == actual.scalar;
}

// ---------------------------------------------------------------------------------------------
// Calling an operator with wast values.

template <class T>
Value to_value(const T& result) {
    Value value;
    if constexpr (std::same_as<T, V128>) {
        value.type = "v128";
        value.vector = result;
    } else if constexpr (std::same_as<T, u32>) {
        value.type = "i32";
        value.scalar = result;
    } else if constexpr (std::same_as<T, u64>) {
        value.type = "i64";
        value.scalar = result;
    } else if constexpr (std::same_as<T, f32>) {
        value.type = "f32";
        value.scalar = std::bit_cast<u32>(result);
    } else {
        value.type = "f64";
        value.scalar = std::bit_cast<u64>(result);
    }
    return value;
}

template <class T>
T from_scalar(u64 bits) {
    if constexpr (std::same_as<T, f32>)
        return std::bit_cast<f32>(static_cast<u32>(bits));
    else if constexpr (std::same_as<T, f64>)
        return std::bit_cast<f64>(bits);
    else
        return static_cast<T>(bits);
}

struct Outcome {
    std::optional<Value> value;  // Empty: the call shape did not fit the operator.
    bool paths_agree = true;
};

// Operands are the function's parameters in the order the instruction takes them;
// immediates are the instruction's literal lane indices.
using Invoker = std::function<Outcome(const std::vector<Value>&, const std::vector<u32>&)>;

template <class Op, class... Args>
Outcome call(const Args&... args) {
    const Value portable = to_value(Op::portable(args...));
    const Value dispatched = to_value(Op{}(args...));
    return Outcome{dispatched,
                   portable.vector == dispatched.vector && portable.scalar == dispatched.scalar};
}

template <class Op>
Invoker invoker() {
    return [](const std::vector<Value>& v, const std::vector<u32>& imm) -> Outcome {
        if constexpr (requires(V128 x, Shuffle::Lanes lanes) { Op::portable(x, x, lanes); }) {
            if (v.size() != 2 || imm.size() != 16) return {};
            Shuffle::Lanes lanes;
            for (unsigned i = 0; i < 16; ++i)
                lanes[i] = static_cast<u8>(imm[i]);
            return call<Op>(v[0].vector, v[1].vector, lanes);
        } else if constexpr (requires { typename Op::LaneOperand; }) {
            if (v.size() != 2 || imm.size() != 1) return {};
            return call<Op>(v[0].vector, from_scalar<typename Op::LaneOperand>(v[1].scalar),
                            imm[0]);
        } else if constexpr (!std::same_as<typename Op::Operand, V128>) {
            if (v.size() != 1 || !imm.empty()) return {};
            return call<Op>(from_scalar<typename Op::Operand>(v[0].scalar));
        } else if constexpr (requires(V128 x) { Op::portable(x, x, x); }) {
            if (v.size() != 3) return {};
            return call<Op>(v[0].vector, v[1].vector, v[2].vector);
        } else if constexpr (requires(V128 x) { Op::portable(x, x); }) {
            if (v.size() != 2) return {};
            return call<Op>(v[0].vector, v[1].vector);
        } else if constexpr (requires(V128 x, u32 count) { Op::portable(x, count); }) {
            // A shift (count operand) or a lane access (lane immediate).
            if (v.size() == 2 && imm.empty())
                return call<Op>(v[0].vector, static_cast<u32>(v[1].scalar));
            if (v.size() == 1 && imm.size() == 1) return call<Op>(v[0].vector, imm[0]);
            return {};
        } else {
            if (v.size() != 1) return {};
            return call<Op>(v[0].vector);
        }
    };
}

const std::map<std::string, Invoker, std::less<>>& invokers() {
    static const auto* const table = [] {
        auto* map = new std::map<std::string, Invoker, std::less<>>;
        for_each_simd_operator([&]<class Op>() {
            // Loads and stores touch memory: their exports are the interpreter's to run.
            if (Op::name.starts_with("v128.load") || Op::name.starts_with("v128.store")) return;
            (*map)[std::string(Op::name)] = invoker<Op>();
        });
        return map;
    }();
    return *table;
}

// An export whose body is one operator applied to parameters: `(func (export "eq") (param $x
// v128) (param $y v128) (result v128) (i8x16.eq (local.get $x) (local.get $y)))`.
struct Export {
    std::string op;
    std::vector<u32> immediates;
    std::vector<unsigned> operand_params;  // Operand i is parameter operand_params[i].
};

std::optional<Export> as_single_operator(const Node& func, std::string* name) {
    std::vector<std::string> params;  // Names ("" when unnamed), in order.
    const Node* body = nullptr;
    for (std::size_t i = 1; i < func.items.size(); ++i) {
        const Node& item = func.items[i];
        if (item.is_form("export")) *name = item.items[1].atom;
        if (item.is_form("param")) {
            if (item.items.size() == 3 && item.items[1].atom.starts_with("$")) {
                params.push_back(item.items[1].atom);
            } else {
                for (std::size_t j = 1; j < item.items.size(); ++j)
                    params.push_back("");
            }
        }
        if (item.list && !item.items.empty() && !item.items[0].list &&
            item.items[0].atom.find('.') != std::string::npos) {
            if (body) return std::nullopt;  // More than one instruction.
            body = &item;
        }
    }
    if (!body || name->empty()) return std::nullopt;
    Export result;
    result.op = body->items[0].atom;
    for (std::size_t i = 1; i < body->items.size(); ++i) {
        const Node& item = body->items[i];
        if (!item.list) {
            result.immediates.push_back(static_cast<u32>(parse_int(item.atom)));
            continue;
        }
        if (!item.is_form("local.get") || item.items.size() != 2) return std::nullopt;
        const std::string& local = item.items[1].atom;
        unsigned index = 0;
        if (local.starts_with("$")) {
            while (index < params.size() && params[index] != local)
                ++index;
            if (index == params.size()) return std::nullopt;
        } else {
            index = static_cast<unsigned>(parse_int(local));
        }
        result.operand_params.push_back(index);
    }
    return result;
}

std::filesystem::path testsuite_dir() {
    if (const char* dir = std::getenv("ESTA_WASM_TESTSUITE")) return dir;
    if (const char* source = std::getenv("ESTA_SOURCE_DIR")) {
        return std::filesystem::path(source) / ".." / "shared" / "wasm-testsuite";
    }
    return {};
}

TEST(OpsSimdSpec, E1_SingleOperatorAssertionsOfTheSimdSpecTestsPass) {
    const std::filesystem::path dir = testsuite_dir();
    if (dir.empty() || !std::filesystem::exists(dir / "simd_lane.wast")) {
        GTEST_SKIP() << "set ESTA_SOURCE_DIR or ESTA_WASM_TESTSUITE (ctest sets ESTA_SOURCE_DIR)";
    }
    std::vector<std::filesystem::path> files;
    for (const auto& file : std::filesystem::directory_iterator(dir)) {
        const std::string name = file.path().filename().string();
        if (name.starts_with("simd_") && name.ends_with(".wast")) files.push_back(file.path());
    }
    std::sort(files.begin(), files.end());
    std::set<std::string> operators_seen;
    int checked = 0;
    int failures = 0;
    for (const auto& path : files) {
        std::ifstream stream(path);
        std::stringstream text;
        text << stream.rdbuf();
        std::map<std::string, Export> exports;
        for (const Node& form : Reader(text.str()).read_all()) {
            if (form.is_form("module")) {
                exports.clear();
                for (const Node& item : form.items) {
                    std::string name;
                    if (item.is_form("func")) {
                        if (auto found = as_single_operator(item, &name)) exports[name] = *found;
                    }
                }
                continue;
            }
            if (!form.is_form("assert_return") || form.items.size() != 3) continue;
            const Node& invoke = form.items[1];
            if (!invoke.is_form("invoke") || invoke.items.size() < 2 || !invoke.items[1].quoted)
                continue;
            const auto bound = exports.find(invoke.items[1].atom);
            if (bound == exports.end()) continue;
            const auto op = invokers().find(bound->second.op);
            if (op == invokers().end()) continue;
            std::vector<Value> params;
            bool parsed = true;
            for (std::size_t i = 2; i < invoke.items.size(); ++i) {
                const std::optional<Value> value = parse_const(invoke.items[i]);
                if (!value) parsed = false;
                if (value) params.push_back(*value);
            }
            if (!parsed) continue;
            std::vector<Value> operands;
            for (const unsigned index : bound->second.operand_params) {
                if (index >= params.size()) parsed = false;
                if (parsed) operands.push_back(params[index]);
            }
            if (!parsed) continue;
            const Outcome outcome = op->second(operands, bound->second.immediates);
            if (!outcome.value) continue;
            ++checked;
            operators_seen.insert(bound->second.op);
            const bool ok = outcome.paths_agree && result_matches(form.items[2], *outcome.value);
            if (!ok && ++failures <= 20) {
                ADD_FAILURE() << path.filename().string() << ":" << form.line << " "
                              << bound->second.op
                              << (outcome.paths_agree ? "" : " (portable and host paths disagree)");
            }
        }
    }
    EXPECT_EQ(failures, 0);
    // Guards against a reader that silently matches nothing.
    EXPECT_GT(checked, 20000);
    EXPECT_GT(operators_seen.size(), 180u);
    std::string unexercised;
    for (const auto& [name, invoker] : invokers()) {
        if (!operators_seen.contains(name)) unexercised += " " + name;
    }
    std::printf("checked %d assertions over %zu operators; not exercised alone:%s\n", checked,
                operators_seen.size(), unexercised.c_str());
}

}  // namespace
}  // namespace esta::wasm::ops::simd
