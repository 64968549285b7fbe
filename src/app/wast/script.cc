#include "app/wast/script.h"

#include <charconv>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

namespace esta::app::wast {
namespace {

using Json = nlohmann::json;
using wasm::ValType;

struct TypeName {
    std::string_view name;
    ValType type;
};

constexpr TypeName kTypeNames[] = {
    {"i32", ValType::I32},
    {"i64", ValType::I64},
    {"f32", ValType::F32},
    {"f64", ValType::F64},
    {"v128", ValType::V128},
    {"funcref", ValType::FuncRef},
    {"externref", ValType::ExternRef},
};

std::optional<ValType> parse_type(std::string_view name) {
    for (const auto& entry : kTypeNames) {
        if (entry.name == name) return entry.type;
    }
    return std::nullopt;
}

std::string_view type_name(ValType type) {
    for (const auto& entry : kTypeNames) {
        if (entry.type == type) return entry.name;
    }
    return "?";
}

constexpr std::string_view kCommandNames[kCommandTypeCount] = {
    "module",
    "register",
    "action",
    "assert_return",
    "assert_trap",
    "assert_exhaustion",
    "assert_invalid",
    "assert_malformed",
    "assert_unlinkable",
    "assert_uninstantiable",
};

std::optional<CommandType> parse_command_type(std::string_view name) {
    for (int i = 0; i < kCommandTypeCount; ++i) {
        if (kCommandNames[i] == name) return static_cast<CommandType>(i);
    }
    return std::nullopt;
}

struct LaneName {
    std::string_view name;
    ScriptValue::LaneType type;
};

constexpr LaneName kLaneNames[] = {
    {"i8", ScriptValue::LaneType::I8},   {"i16", ScriptValue::LaneType::I16},
    {"i32", ScriptValue::LaneType::I32}, {"i64", ScriptValue::LaneType::I64},
    {"f32", ScriptValue::LaneType::F32}, {"f64", ScriptValue::LaneType::F64},
};

bool is_float_lane(ScriptValue::LaneType type) {
    return type == ScriptValue::LaneType::F32 || type == ScriptValue::LaneType::F64;
}

// Reading one command reports problems through this, so every message names the line.
class CommandReader {
  public:
    CommandReader(const Json& json, Diagnostic& diagnostic)
        : m_json(json), m_diagnostic(diagnostic) {}

    Result<Command> read();

  private:
    Result<ScriptValue> read_value(const Json& value, bool expected);
    Result<ScriptValue> read_v128(const Json& value, bool expected);
    Result<Action> read_action(const Json& action);
    std::string string_field(const Json& object, const char* key) const {
        auto it = object.find(key);
        return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
    }
    Error fail(std::string message) {
        m_diagnostic.code = Status::Malformed;
        m_diagnostic.message = std::move(message);
        m_diagnostic.line = m_line;
        return Err(Status::Malformed, "wast.script");
    }

    const Json& m_json;
    Diagnostic& m_diagnostic;
    u32 m_line = 0;
};

Result<ScriptValue> CommandReader::read_value(const Json& value, bool expected) {
    if (!value.is_object()) return fail("a value is not an object");
    std::string type_text = string_field(value, "type");
    auto type = parse_type(type_text);
    if (!type) return fail("unknown value type \"" + type_text + "\"");
    if (*type == ValType::V128) return read_v128(value, expected);

    ScriptValue result;
    result.type = *type;
    auto text_it = value.find("value");
    if (text_it == value.end()) {
        // Expected results of assert_trap name only their types; a reference result
        // without a value means "any non-null reference".
        if (wasm::is_reference(*type)) result.pattern = ScriptValue::Pattern::AnyReference;
        return result;
    }
    if (!text_it->is_string()) return fail("a value is not a string");
    std::string text = text_it->get<std::string>();

    if (wasm::is_reference(*type)) {
        if (text == "null") {
            result.is_null = true;
            return result;
        }
    } else if (expected && text == "nan:canonical") {
        result.pattern = ScriptValue::Pattern::CanonicalNan;
        return result;
    } else if (expected && text == "nan:arithmetic") {
        result.pattern = ScriptValue::Pattern::ArithmeticNan;
        return result;
    }
    // wast2json writes numbers (and float bits) as unsigned decimal.
    u64 bits = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), bits);
    if (error != std::errc() || end != text.data() + text.size())
        return fail("bad " + type_text + " value \"" + text + "\"");
    bool narrow = *type == ValType::I32 || *type == ValType::F32;
    if (narrow && bits > 0xFFFF'FFFFu) return fail("value out of range: " + text);
    result.bits = bits;
    return result;
}

Result<ScriptValue> CommandReader::read_v128(const Json& value, bool expected) {
    ScriptValue result;
    result.type = ValType::V128;
    auto lanes = value.find("value");
    if (lanes == value.end()) return result;  // assert_trap results name only the type.
    std::string lane_text = string_field(value, "lane_type");
    const LaneName* lane = nullptr;
    for (const auto& entry : kLaneNames) {
        if (entry.name == lane_text) lane = &entry;
    }
    if (lane == nullptr) return fail("unknown v128 lane type \"" + lane_text + "\"");
    result.lane_type = lane->type;
    int count = lane_count(lane->type);
    int width = lane_width(lane->type);
    if (!lanes->is_array() || int(lanes->size()) != count)
        return fail("v128 " + lane_text + " needs " + std::to_string(count) + " lanes");
    for (int i = 0; i < count; ++i) {
        const Json& lane_json = (*lanes)[std::size_t(i)];
        if (!lane_json.is_string()) return fail("a v128 lane is not a string");
        std::string text = lane_json.get<std::string>();
        if (expected && is_float_lane(lane->type) && text == "nan:canonical") {
            result.lane_patterns[i] = ScriptValue::Pattern::CanonicalNan;
            continue;
        }
        if (expected && is_float_lane(lane->type) && text == "nan:arithmetic") {
            result.lane_patterns[i] = ScriptValue::Pattern::ArithmeticNan;
            continue;
        }
        u64 bits = 0;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), bits);
        bool fits = width == 8 || bits >> (8 * width) == 0;
        if (error != std::errc() || end != text.data() + text.size() || !fits)
            return fail("bad v128 lane \"" + text + "\"");
        // Lanes are little-endian within the vector, as in memory.
        for (int byte = 0; byte < width; ++byte)
            result.v128[i * width + byte] = u8(bits >> (8 * byte));
    }
    return result;
}

Result<Action> CommandReader::read_action(const Json& json) {
    if (!json.is_object()) return fail("\"action\" is not an object");
    Action action;
    std::string kind = string_field(json, "type");
    if (kind == "invoke") {
        action.kind = Action::Kind::Invoke;
    } else if (kind == "get") {
        action.kind = Action::Kind::Get;
    } else {
        return fail("unknown action type \"" + kind + "\"");
    }
    action.module = string_field(json, "module");
    action.field = string_field(json, "field");
    if (auto args = json.find("args"); args != json.end()) {
        if (!args->is_array()) return fail("\"args\" is not an array");
        for (const auto& arg : *args)
            action.args.push_back(ESTA_TRY(read_value(arg, false)));
    }
    return action;
}

Result<Command> CommandReader::read() {
    if (!m_json.is_object()) return fail("a command is not an object");
    if (auto line = m_json.find("line"); line != m_json.end() && line->is_number_unsigned())
        m_line = line->get<u32>();

    std::string type_text = string_field(m_json, "type");
    auto type = parse_command_type(type_text);
    if (!type) return fail("unknown command type \"" + type_text + "\"");

    Command command;
    command.type = *type;
    command.line = m_line;
    command.name = string_field(m_json, "name");
    command.as = string_field(m_json, "as");
    command.filename = string_field(m_json, "filename");
    command.text = string_field(m_json, "text");
    // Plain `module` commands carry no module_type; wast2json names their file .wasm or,
    // for (module quote ...), .wat.
    std::string module_type = string_field(m_json, "module_type");
    command.text_module =
        module_type == "text" || (module_type.empty() && command.filename.ends_with(".wat"));

    if (auto action = m_json.find("action"); action != m_json.end())
        command.action = ESTA_TRY(read_action(*action));
    if (auto expected = m_json.find("expected"); expected != m_json.end()) {
        if (!expected->is_array()) return fail("\"expected\" is not an array");
        for (const auto& value : *expected)
            command.expected.push_back(ESTA_TRY(read_value(value, true)));
    }

    bool needs_action = *type == CommandType::Action || *type == CommandType::AssertReturn ||
                        *type == CommandType::AssertTrap || *type == CommandType::AssertExhaustion;
    if (needs_action && !command.action) return fail(type_text + " without an action");
    bool needs_file = *type == CommandType::Module || (is_assertion(*type) && !needs_action);
    if (needs_file && command.filename.empty()) return fail(type_text + " without a filename");
    if (*type == CommandType::Register && command.as.empty())
        return fail("register without \"as\"");
    return command;
}

}  // namespace

std::string_view command_type_name(CommandType type) {
    return kCommandNames[static_cast<int>(type)];
}

int lane_width(ScriptValue::LaneType lane_type) {
    switch (lane_type) {
        case ScriptValue::LaneType::I8:
            return 1;
        case ScriptValue::LaneType::I16:
            return 2;
        case ScriptValue::LaneType::I32:
        case ScriptValue::LaneType::F32:
            return 4;
        case ScriptValue::LaneType::I64:
        case ScriptValue::LaneType::F64:
            return 8;
    }
    return 4;
}

int lane_count(ScriptValue::LaneType lane_type) {
    return 16 / lane_width(lane_type);
}

namespace {

std::string v128_to_string(const ScriptValue& value) {
    std::string text = "v128:";
    for (const auto& entry : kLaneNames) {
        if (entry.type == value.lane_type) text += entry.name;
    }
    int count = lane_count(value.lane_type);
    int width = lane_width(value.lane_type);
    text += "x" + std::to_string(count) + ":";
    for (int i = 0; i < count; ++i) {
        if (i != 0) text += ',';
        switch (value.lane_patterns[i]) {
            case ScriptValue::Pattern::CanonicalNan:
                text += "nan:canonical";
                continue;
            case ScriptValue::Pattern::ArithmeticNan:
                text += "nan:arithmetic";
                continue;
            default:
                break;
        }
        u64 bits = 0;
        for (int byte = 0; byte < width; ++byte)
            bits |= u64(value.v128[i * width + byte]) << (8 * byte);
        char buffer[24];
        std::snprintf(buffer, sizeof buffer, "0x%llx", (unsigned long long)bits);
        text += buffer;
    }
    return text;
}

}  // namespace

std::string to_string(const ScriptValue& value) {
    if (value.type == ValType::V128) return v128_to_string(value);
    std::string text(type_name(value.type));
    text += ':';
    switch (value.pattern) {
        case ScriptValue::Pattern::CanonicalNan:
            return text + "nan:canonical";
        case ScriptValue::Pattern::ArithmeticNan:
            return text + "nan:arithmetic";
        case ScriptValue::Pattern::AnyReference:
            return text + "non-null";
        case ScriptValue::Pattern::Exact:
            break;
    }
    if (wasm::is_reference(value.type))
        return text + (value.is_null ? "null" : std::to_string(value.bits));
    char buffer[64];
    switch (value.type) {
        case ValType::I32:
            std::snprintf(buffer, sizeof buffer, "%u (0x%08x)", u32(value.bits), u32(value.bits));
            break;
        case ValType::I64:
            std::snprintf(buffer, sizeof buffer, "%llu (0x%016llx)", (unsigned long long)value.bits,
                          (unsigned long long)value.bits);
            break;
        case ValType::F32: {
            f32 number;
            u32 bits = u32(value.bits);
            std::memcpy(&number, &bits, sizeof number);
            std::snprintf(buffer, sizeof buffer, "%a (0x%08x)", double(number), bits);
            break;
        }
        default: {
            f64 number;
            std::memcpy(&number, &value.bits, sizeof number);
            std::snprintf(buffer, sizeof buffer, "%a (0x%016llx)", number,
                          (unsigned long long)value.bits);
            break;
        }
    }
    return text + buffer;
}

Result<Script> parse_script(std::string_view json_text, Diagnostic& diagnostic) {
    diagnostic = Diagnostic{};
    diagnostic.where = "wast2json output";
    // nlohmann-json reports errors by throwing; this is the edge where they stop.
    Json json =
        Json::parse(json_text.begin(), json_text.end(), nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded() || !json.is_object()) {
        diagnostic.code = Status::Malformed;
        diagnostic.message = "not a JSON object";
        return Err(Status::Malformed, "wast.script");
    }
    Script script;
    if (auto source = json.find("source_filename"); source != json.end() && source->is_string())
        script.source = source->get<std::string>();
    auto commands = json.find("commands");
    if (commands == json.end() || !commands->is_array()) {
        diagnostic.code = Status::Malformed;
        diagnostic.message = "no \"commands\" array";
        return Err(Status::Malformed, "wast.script");
    }
    try {
        for (const auto& entry : *commands) {
            CommandReader reader(entry, diagnostic);
            script.commands.push_back(ESTA_TRY(reader.read()));
        }
    } catch (const nlohmann::json::exception& error) {
        diagnostic.code = Status::Malformed;
        diagnostic.message = error.what();
        return Err(Status::Malformed, "wast.script");
    }
    return script;
}

}  // namespace esta::app::wast
