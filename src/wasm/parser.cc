#include "wasm/parser.h"

#include <cstring>
#include <utility>

#include "wasm/instruction.h"
#include "wasm/section.h"

namespace esta::wasm {

namespace {

// Where each known section must appear: the data count section sits between the element
// and code sections although its id is the largest.
constexpr u8 section_rank(SectionId id) {
    switch (id) {
        case SectionId::DataCount:
            return 10;
        case SectionId::Code:
            return 11;
        case SectionId::Data:
            return 12;
        default:
            return static_cast<u8>(id);
    }
}

// The static message strings of one section; Error::context must outlive the error.
struct SectionText {
    const char* unexpected_end;
    const char* too_many;
    const char* malformed_type;
    const char* malformed_limits;
    const char* malformed_mutability;
};

#define ESTA_SECTION_TEXT(name)                                                            \
    SectionText {                                                                          \
        name ": unexpected end", name ": too many entries", name ": malformed value type", \
            name ": malformed limits flags", name ": malformed mutability"                 \
    }

constexpr SectionText kTypeText = ESTA_SECTION_TEXT("type");
constexpr SectionText kImportText = ESTA_SECTION_TEXT("import");
constexpr SectionText kFunctionText = ESTA_SECTION_TEXT("function");
constexpr SectionText kTableText = ESTA_SECTION_TEXT("table");
constexpr SectionText kMemoryText = ESTA_SECTION_TEXT("memory");
constexpr SectionText kGlobalText = ESTA_SECTION_TEXT("global");
constexpr SectionText kExportText = ESTA_SECTION_TEXT("export");
constexpr SectionText kElementText = ESTA_SECTION_TEXT("element");
constexpr SectionText kCodeText = ESTA_SECTION_TEXT("code");
constexpr SectionText kDataText = ESTA_SECTION_TEXT("data");

#undef ESTA_SECTION_TEXT

// Reads a vector length and checks it against `limit` and against the bytes that remain
// (every entry takes at least one byte) before anyone allocates for it.
Result<u32> read_count(ByteReader& reader, u64 limit, const SectionText& text) {
    const std::size_t at = reader.offset();
    const u32 count = ESTA_TRY(reader.read_leb_u32());
    if (count > reader.remaining()) {
        return Err(Status::Malformed, text.unexpected_end, Detail{.offset = at});
    }
    if (count > limit) {
        return Err(Status::Limit, text.too_many,
                   Detail{.offset = at, .limit = limit, .actual = count});
    }
    return count;
}

Result<ValType> read_val_type(ByteReader& reader, const SectionText& text) {
    const std::size_t at = reader.offset();
    const auto type = decode_val_type(ESTA_TRY(reader.read_u8()));
    if (!type) return Err(Status::Malformed, text.malformed_type, Detail{.offset = at});
    return *type;
}

Result<ValType> read_ref_type(ByteReader& reader, const char* context) {
    const std::size_t at = reader.offset();
    const auto type = decode_val_type(ESTA_TRY(reader.read_u8()));
    if (!type || !is_reference(*type)) {
        return Err(Status::Malformed, context, Detail{.offset = at});
    }
    return *type;
}

Result<Limits> read_limits(ByteReader& reader, const SectionText& text) {
    const std::size_t at = reader.offset();
    const u8 flags = ESTA_TRY(reader.read_u8());
    if (flags > 1) return Err(Status::Malformed, text.malformed_limits, Detail{.offset = at});
    Limits limits;
    limits.min = ESTA_TRY(reader.read_leb_u32());
    if (flags == 1) limits.max = ESTA_TRY(reader.read_leb_u32());
    return limits;
}

Result<GlobalType> read_global_type(ByteReader& reader, const SectionText& text) {
    GlobalType type;
    type.type = ESTA_TRY(read_val_type(reader, text));
    const std::size_t at = reader.offset();
    const u8 mutability = ESTA_TRY(reader.read_u8());
    if (mutability > 1) {
        return Err(Status::Malformed, text.malformed_mutability, Detail{.offset = at});
    }
    type.mutability = static_cast<Mutability>(mutability);
    return type;
}

Result<std::string> read_name(ByteReader& reader, const ModuleLimits& limits,
                              const char* too_long) {
    const std::size_t at = reader.offset();
    const std::string_view name = ESTA_TRY(reader.read_name());
    if (name.size() > limits.name_length) {
        return Err(Status::Limit, too_long,
                   Detail{.offset = at, .limit = limits.name_length, .actual = name.size()});
    }
    return std::string(name);
}

// Decodes a constant expression up to its `end`. An instruction that cannot appear in
// one is reported here, as the validator would ("constant expression required",
// Status::Invalid), because ConstInstruction has no way to hold it. Types, global indices
// and mutability are left to the validator.
Result<ConstExpr> read_const_expr(ByteReader& reader) {
    const std::size_t start = reader.offset();
    ByteReader rest_reader = reader;
    const ByteSpan rest = ESTA_TRY(rest_reader.read_bytes(rest_reader.remaining()));
    InstructionReader instructions(rest, start);
    ConstExpr expr;
    for (;;) {
        if (instructions.at_end()) {
            return Err(Status::Malformed, "constant expression: unexpected end",
                       Detail{.offset = instructions.offset()});
        }
        Instruction instruction;
        ESTA_TRY(instructions.read(instruction));
        if (instruction.op == Op::end) break;
        ConstInstruction item;
        item.offset = instruction.offset;
        using Kind = ConstInstruction::Kind;
        switch (instruction.op) {
            case Op::i32_const:
                item.kind = Kind::I32Const;
                std::memcpy(item.bits.data(), &instruction.bits, 4);
                break;
            case Op::i64_const:
                item.kind = Kind::I64Const;
                std::memcpy(item.bits.data(), &instruction.bits, 8);
                break;
            case Op::f32_const:
                item.kind = Kind::F32Const;
                std::memcpy(item.bits.data(), &instruction.bits, 4);
                break;
            case Op::f64_const:
                item.kind = Kind::F64Const;
                std::memcpy(item.bits.data(), &instruction.bits, 8);
                break;
            case Op::v128_const:
                item.kind = Kind::V128Const;
                item.bits = instruction.bytes;
                break;
            case Op::ref_null:
                item.kind = Kind::RefNull;
                item.ref_type = instruction.type;
                break;
            case Op::ref_func:
                item.kind = Kind::RefFunc;
                item.index = instruction.index;
                break;
            case Op::global_get:
                item.kind = Kind::GlobalGet;
                item.index = instruction.index;
                break;
            default:
                return Err(Status::Invalid, "constant expression: constant expression required",
                           Detail{.offset = instruction.offset});
        }
        expr.instructions.push_back(item);
    }
    ESTA_TRY(reader.skip(instructions.offset() - start));
    return expr;
}

ConstExpr ref_func_expr(u32 function, u32 offset) {
    ConstInstruction item;
    item.kind = ConstInstruction::Kind::RefFunc;
    item.index = function;
    item.offset = offset;
    return ConstExpr{{item}};
}

class Parser {
  public:
    Parser(Module& module, const ModuleLimits& limits) : m_module(module), m_limits(limits) {}

    Result<void> parse();

  private:
    Result<void> parse_section(SectionId id, ByteReader& reader);
    Result<void> parse_custom(ByteReader& reader);
    Result<void> parse_types(ByteReader& reader);
    Result<void> parse_imports(ByteReader& reader);
    Result<void> parse_functions(ByteReader& reader);
    Result<void> parse_tables(ByteReader& reader);
    Result<void> parse_memories(ByteReader& reader);
    Result<void> parse_globals(ByteReader& reader);
    Result<void> parse_exports(ByteReader& reader);
    Result<void> parse_start(ByteReader& reader);
    Result<void> parse_elements(ByteReader& reader);
    Result<ElementSegment> parse_element(ByteReader& reader);
    Result<void> parse_data_count(ByteReader& reader);
    Result<void> parse_code(ByteReader& reader);
    Result<void> parse_body(ByteReader& reader, Function& function, u32 index);
    Result<void> parse_data(ByteReader& reader);

    Module& m_module;
    const ModuleLimits& m_limits;
    bool m_saw_code = false;
    u32 m_element_items = 0;  // Decoded so far, never above m_limits.element_items.
};

Result<void> Parser::parse() {
    ByteReader reader(m_module.bytes);
    static constexpr u8 kMagic[] = {0x00, 0x61, 0x73, 0x6D};
    static constexpr u8 kVersion[] = {0x01, 0x00, 0x00, 0x00};
    const auto magic = reader.read_bytes(4);
    if (!magic || std::memcmp(magic->data(), kMagic, 4) != 0) {
        return Err(Status::Malformed, "header: magic header not detected", Detail{.offset = 0});
    }
    const auto version = reader.read_bytes(4);
    if (!version || std::memcmp(version->data(), kVersion, 4) != 0) {
        return Err(Status::Malformed, "header: unknown binary version", Detail{.offset = 4});
    }

    u8 last_rank = 0;
    while (!reader.at_end()) {
        const std::size_t at = reader.offset();
        const u8 id = ESTA_TRY(reader.read_u8());
        if (id > kLastSectionId) {
            return Err(Status::Malformed, "module: malformed section id",
                       Detail{.offset = at, .actual = id});
        }
        const std::size_t size_at = reader.offset();
        const u32 size = ESTA_TRY(reader.read_leb_u32());
        if (size > reader.remaining()) {
            return Err(Status::Malformed, "module: section size out of bounds (unexpected end)",
                       Detail{.offset = size_at, .limit = reader.remaining(), .actual = size});
        }
        ByteReader section = ESTA_TRY(reader.sub_reader(size));
        const auto section_id = static_cast<SectionId>(id);
        if (section_id != SectionId::Custom) {
            const u8 rank = section_rank(section_id);
            if (rank <= last_rank) {
                return Err(Status::Malformed, "module: unexpected content after last section",
                           Detail{.offset = at, .actual = id});
            }
            last_rank = rank;
        }
        if (auto parsed = parse_section(section_id, section); !parsed) {
            return in_section(parsed.error(), section_id);
        }
        if (!section.at_end()) {
            return Err(Status::Malformed, "module: section size mismatch",
                       Detail{.offset = section.offset(), .actual = id});
        }
    }

    if (!m_saw_code && !m_module.functions.empty()) {
        return Err(Status::Malformed, "module: function and code section have inconsistent lengths",
                   Detail{.limit = m_module.functions.size(), .actual = 0});
    }
    if (m_module.data_count && *m_module.data_count != m_module.data.size()) {
        return Err(Status::Malformed,
                   "module: data count and data section have inconsistent lengths",
                   Detail{.limit = *m_module.data_count, .actual = m_module.data.size()});
    }
    return Ok();
}

Result<void> Parser::parse_section(SectionId id, ByteReader& reader) {
    switch (id) {
        case SectionId::Custom:
            return parse_custom(reader);
        case SectionId::Type:
            return parse_types(reader);
        case SectionId::Import:
            return parse_imports(reader);
        case SectionId::Function:
            return parse_functions(reader);
        case SectionId::Table:
            return parse_tables(reader);
        case SectionId::Memory:
            return parse_memories(reader);
        case SectionId::Global:
            return parse_globals(reader);
        case SectionId::Export:
            return parse_exports(reader);
        case SectionId::Start:
            return parse_start(reader);
        case SectionId::Element:
            return parse_elements(reader);
        case SectionId::DataCount:
            return parse_data_count(reader);
        case SectionId::Code:
            return parse_code(reader);
        case SectionId::Data:
            return parse_data(reader);
    }
    ESTA_UNREACHABLE();
}

Result<void> Parser::parse_custom(ByteReader& reader) {
    const std::string_view name = ESTA_TRY(reader.read_name());
    const ByteRange contents{static_cast<u32>(reader.offset()),
                             static_cast<u32>(reader.remaining())};
    ESTA_TRY(reader.skip(reader.remaining()));
    if (name == "name")
        decode_name_section(m_module.range(contents), contents.offset, m_limits.function_names,
                            m_module);
    // Beyond the limit custom sections are still checked but no longer kept: they carry
    // no semantics, so dropping them is safer than rejecting the module.
    if (m_module.custom_sections.size() < m_limits.custom_sections) {
        m_module.custom_sections.push_back(CustomSection{std::string(name), contents});
    }
    return Ok();
}

Result<void> Parser::parse_types(ByteReader& reader) {
    const u32 count = ESTA_TRY(read_count(reader, m_limits.types, kTypeText));
    m_module.types.reserve(count);
    for (u32 i = 0; i < count; ++i) {
        const std::size_t at = reader.offset();
        if (ESTA_TRY(reader.read_u8()) != 0x60) {
            return Err(Status::Malformed, "type: malformed function type (0x60 expected)",
                       Detail{.index = i, .offset = at});
        }
        FuncType type;
        const u32 params = ESTA_TRY(read_count(reader, m_limits.params, kTypeText));
        type.params.reserve(params);
        for (u32 k = 0; k < params; ++k)
            type.params.push_back(ESTA_TRY(read_val_type(reader, kTypeText)));
        const u32 results = ESTA_TRY(read_count(reader, m_limits.results, kTypeText));
        type.results.reserve(results);
        for (u32 k = 0; k < results; ++k)
            type.results.push_back(ESTA_TRY(read_val_type(reader, kTypeText)));
        m_module.types.push_back(std::move(type));
    }
    return Ok();
}

Result<void> Parser::parse_imports(ByteReader& reader) {
    const u32 count = ESTA_TRY(read_count(reader, m_limits.imports, kImportText));
    m_module.imports.reserve(count);
    for (u32 i = 0; i < count; ++i) {
        Import import;
        import.offset = static_cast<u32>(reader.offset());
        import.module = ESTA_TRY(read_name(reader, m_limits, "import: name too long"));
        import.name = ESTA_TRY(read_name(reader, m_limits, "import: name too long"));
        const std::size_t at = reader.offset();
        const u8 kind = ESTA_TRY(reader.read_u8());
        u32* imported = nullptr;
        u32 limit = 0;
        switch (kind) {
            case 0:
                import.func_type = TypeIndex(ESTA_TRY(reader.read_leb_u32()));
                imported = &m_module.imported_functions;
                limit = m_limits.functions;
                break;
            case 1:
                import.table.element =
                    ESTA_TRY(read_ref_type(reader, "import: malformed reference type"));
                import.table.limits = ESTA_TRY(read_limits(reader, kImportText));
                imported = &m_module.imported_tables;
                limit = m_limits.tables;
                break;
            case 2:
                import.memory.limits = ESTA_TRY(read_limits(reader, kImportText));
                imported = &m_module.imported_memories;
                limit = m_limits.memories;
                break;
            case 3:
                import.global = ESTA_TRY(read_global_type(reader, kImportText));
                imported = &m_module.imported_globals;
                limit = m_limits.globals;
                break;
            default:
                return Err(Status::Malformed, "import: malformed import kind",
                           Detail{.index = i, .offset = at, .actual = kind});
        }
        if (*imported >= limit) {
            return Err(Status::Limit, "import: too many imports of this kind",
                       Detail{.index = i, .offset = at, .limit = limit});
        }
        ++*imported;
        import.kind = static_cast<ExternKind>(kind);
        m_module.import_positions[kind].push_back(i);
        m_module.imports.push_back(std::move(import));
    }
    return Ok();
}

Result<void> Parser::parse_functions(ByteReader& reader) {
    const u32 count = ESTA_TRY(
        read_count(reader, m_limits.functions - m_module.imported_functions, kFunctionText));
    m_module.functions.reserve(count);
    for (u32 i = 0; i < count; ++i) {
        Function function;
        function.type = TypeIndex(ESTA_TRY(reader.read_leb_u32()));
        m_module.functions.push_back(std::move(function));
    }
    return Ok();
}

Result<void> Parser::parse_tables(ByteReader& reader) {
    const u32 count =
        ESTA_TRY(read_count(reader, m_limits.tables - m_module.imported_tables, kTableText));
    m_module.tables.reserve(count);
    for (u32 i = 0; i < count; ++i) {
        TableType table;
        table.element = ESTA_TRY(read_ref_type(reader, "table: malformed reference type"));
        table.limits = ESTA_TRY(read_limits(reader, kTableText));
        m_module.tables.push_back(table);
    }
    return Ok();
}

Result<void> Parser::parse_memories(ByteReader& reader) {
    const u32 count =
        ESTA_TRY(read_count(reader, m_limits.memories - m_module.imported_memories, kMemoryText));
    m_module.memories.reserve(count);
    for (u32 i = 0; i < count; ++i) {
        m_module.memories.push_back(MemoryType{ESTA_TRY(read_limits(reader, kMemoryText))});
    }
    return Ok();
}

Result<void> Parser::parse_globals(ByteReader& reader) {
    const u32 count =
        ESTA_TRY(read_count(reader, m_limits.globals - m_module.imported_globals, kGlobalText));
    m_module.globals.reserve(count);
    for (u32 i = 0; i < count; ++i) {
        Global global;
        global.type = ESTA_TRY(read_global_type(reader, kGlobalText));
        global.init = ESTA_TRY(read_const_expr(reader));
        m_module.globals.push_back(std::move(global));
    }
    return Ok();
}

Result<void> Parser::parse_exports(ByteReader& reader) {
    const u32 count = ESTA_TRY(read_count(reader, m_limits.exports, kExportText));
    m_module.exports.reserve(count);
    for (u32 i = 0; i < count; ++i) {
        Export entry;
        entry.offset = static_cast<u32>(reader.offset());
        entry.name = ESTA_TRY(read_name(reader, m_limits, "export: name too long"));
        const std::size_t at = reader.offset();
        const u8 kind = ESTA_TRY(reader.read_u8());
        if (kind > 3) {
            return Err(Status::Malformed, "export: malformed export kind",
                       Detail{.index = i, .offset = at, .actual = kind});
        }
        entry.kind = static_cast<ExternKind>(kind);
        entry.index = ESTA_TRY(reader.read_leb_u32());
        m_module.exports.push_back(std::move(entry));
    }
    return Ok();
}

Result<void> Parser::parse_start(ByteReader& reader) {
    m_module.start = FuncIndex(ESTA_TRY(reader.read_leb_u32()));
    return Ok();
}

Result<void> Parser::parse_elements(ByteReader& reader) {
    const u32 count = ESTA_TRY(read_count(reader, m_limits.element_segments, kElementText));
    m_module.elements.reserve(count);
    for (u32 i = 0; i < count; ++i) {
        auto segment = parse_element(reader);
        if (!segment) {
            Error error = segment.error();
            if (error.detail.index == Detail::kUnset) error.detail.index = i;
            return error;
        }
        m_module.elements.push_back(std::move(*segment));
    }
    return Ok();
}

// Element segment encodings (flags): bit 0 passive-or-declarative, bit 1 explicit table
// index (active) or declarative (otherwise), bit 2 items are expressions, not indices.
Result<ElementSegment> Parser::parse_element(ByteReader& reader) {
    const std::size_t at = reader.offset();
    const u32 flags = ESTA_TRY(reader.read_leb_u32());
    if (flags > 7) {
        return Err(Status::Malformed, "element: malformed elements segment kind",
                   Detail{.offset = at, .actual = flags});
    }
    ElementSegment segment;
    const bool active = (flags & 1) == 0;
    const bool explicit_table = (flags & 2) != 0;
    const bool expressions = (flags & 4) != 0;
    if (active) {
        segment.mode = SegmentMode::Active;
        if (explicit_table) segment.table = TableIndex(ESTA_TRY(reader.read_leb_u32()));
        segment.offset = ESTA_TRY(read_const_expr(reader));
    } else {
        segment.mode = explicit_table ? SegmentMode::Declarative : SegmentMode::Passive;
    }
    // Flags 0 and 4 imply funcref; the others spell out an element kind or type.
    if (!active || explicit_table) {
        const std::size_t kind_at = reader.offset();
        if (expressions) {
            segment.type = ESTA_TRY(read_ref_type(reader, "element: malformed reference type"));
        } else if (ESTA_TRY(reader.read_u8()) != 0x00) {
            return Err(Status::Malformed, "element: malformed element kind",
                       Detail{.offset = kind_at});
        }
    }
    // The limit is on all segments together: each decoded item costs far more than its
    // byte of input, so a per-segment limit alone would not bound memory.
    const u32 count =
        ESTA_TRY(read_count(reader, m_limits.element_items - m_element_items, kElementText));
    m_element_items += count;
    segment.items.reserve(count);
    for (u32 k = 0; k < count; ++k) {
        if (expressions) {
            segment.items.push_back(ESTA_TRY(read_const_expr(reader)));
        } else {
            const auto item_at = static_cast<u32>(reader.offset());
            segment.items.push_back(ref_func_expr(ESTA_TRY(reader.read_leb_u32()), item_at));
        }
    }
    return segment;
}

Result<void> Parser::parse_data_count(ByteReader& reader) {
    m_module.data_count = ESTA_TRY(reader.read_leb_u32());
    return Ok();
}

Result<void> Parser::parse_code(ByteReader& reader) {
    m_saw_code = true;
    const std::size_t at = reader.offset();
    const u32 count = ESTA_TRY(reader.read_leb_u32());
    if (count != m_module.functions.size()) {
        return Err(Status::Malformed, "code: function and code section have inconsistent lengths",
                   Detail{.offset = at, .limit = m_module.functions.size(), .actual = count});
    }
    for (u32 i = 0; i < count; ++i) {
        const u32 index = m_module.imported_functions + i;
        const std::size_t size_at = reader.offset();
        const u32 size = ESTA_TRY(reader.read_leb_u32());
        if (size > reader.remaining()) {
            return Err(Status::Malformed, "code: function body size out of bounds (unexpected end)",
                       Detail{.index = index, .offset = size_at, .actual = size});
        }
        ByteReader body = ESTA_TRY(reader.sub_reader(size));
        ESTA_TRY(parse_body(body, m_module.functions[i], index));
    }
    return Ok();
}

Result<void> Parser::parse_body(ByteReader& reader, Function& function, u32 index) {
    const std::size_t at = reader.offset();
    const u32 runs = ESTA_TRY(reader.read_leb_u32());
    // Each run takes at least two bytes (count and type).
    if (runs > reader.remaining() / 2) {
        return Err(Status::Malformed, "code: unexpected end (local declarations)",
                   Detail{.index = index, .offset = at, .actual = runs});
    }
    function.locals.reserve(runs);
    u64 total = 0;
    for (u32 k = 0; k < runs; ++k) {
        const std::size_t run_at = reader.offset();
        LocalRun run;
        run.count = ESTA_TRY(reader.read_leb_u32());
        run.type = ESTA_TRY(read_val_type(reader, kCodeText));
        total += run.count;
        if (total > 0xFFFF'FFFFu) {
            return Err(Status::Malformed, "code: too many locals",
                       Detail{.index = index, .offset = run_at, .actual = total});
        }
        if (total > m_limits.locals) {
            return Err(
                Status::Limit, "code: too many locals",
                Detail{
                    .index = index, .offset = run_at, .limit = m_limits.locals, .actual = total});
        }
        function.locals.push_back(run);
    }
    function.local_count = static_cast<u32>(total);
    if (reader.remaining() > m_limits.body_size) {
        return Err(Status::Limit, "code: function body too large",
                   Detail{.index = index,
                          .offset = reader.offset(),
                          .limit = m_limits.body_size,
                          .actual = reader.remaining()});
    }
    function.body =
        ByteRange{static_cast<u32>(reader.offset()), static_cast<u32>(reader.remaining())};
    return reader.skip(reader.remaining());
}

Result<void> Parser::parse_data(ByteReader& reader) {
    const u32 count = ESTA_TRY(read_count(reader, m_limits.data_segments, kDataText));
    m_module.data.reserve(count);
    for (u32 i = 0; i < count; ++i) {
        const std::size_t at = reader.offset();
        const u32 flags = ESTA_TRY(reader.read_leb_u32());
        DataSegment segment;
        switch (flags) {
            case 0:
                segment.offset = ESTA_TRY(read_const_expr(reader));
                break;
            case 1:
                segment.mode = SegmentMode::Passive;
                break;
            case 2:
                segment.memory = MemoryIndex(ESTA_TRY(reader.read_leb_u32()));
                segment.offset = ESTA_TRY(read_const_expr(reader));
                break;
            default:
                return Err(Status::Malformed, "data: malformed data segment kind",
                           Detail{.index = i, .offset = at, .actual = flags});
        }
        const std::size_t size_at = reader.offset();
        const u32 size = ESTA_TRY(reader.read_leb_u32());
        if (size > reader.remaining()) {
            return Err(Status::Malformed, "data: unexpected end of section or function",
                       Detail{.index = i, .offset = size_at, .actual = size});
        }
        segment.bytes = ByteRange{static_cast<u32>(reader.offset()), size};
        ESTA_TRY(reader.skip(size));
        m_module.data.push_back(std::move(segment));
    }
    return Ok();
}

}  // namespace

Result<Module> parse_module(ByteSpan bytes, const ModuleLimits& limits) {
    if (bytes.size() > limits.module_size) {
        return Err(Status::Limit, "module: binary too large",
                   Detail{.limit = limits.module_size, .actual = bytes.size()});
    }
    Module module;
    module.bytes.assign(bytes.begin(), bytes.end());
    ESTA_TRY(Parser(module, limits).parse());
    return module;
}

}  // namespace esta::wasm
