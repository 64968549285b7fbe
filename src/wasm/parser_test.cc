#include "wasm/parser.h"

#include <gtest/gtest.h>

#include <cstring>

#include "wasm/binary_builder_test_util.h"

namespace esta::wasm {
namespace {

using test::BinaryBuilder;
using test::Bytes;
using test::concat;
using test::leb;
using test::name;

Error parse_error(const Bytes& bytes, const ModuleLimits& limits = {}) {
    auto module = parse_module(bytes, limits);
    if (module) {
        ADD_FAILURE() << "expected a parse error";
        return Error{};
    }
    return module.error();
}

// A module using every 2.0 section once, plus a custom and a name section.
Bytes every_section_module() {
    return BinaryBuilder()
        .section(1, {0x02, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7F, 0x01, 0x7E})
        .section(2, concat({{0x02},
                            name("env"),
                            name("f"),
                            {0x00, 0x01},  // func type 1
                            name("env"),
                            name("g"),
                            {0x03, 0x7F, 0x00}}))  // const i32
        .section(3, {0x01, 0x00})
        .section(4, {0x01, 0x70, 0x01, 0x01, 0x10})        // funcref table 1..16
        .section(5, {0x01, 0x00, 0x02})                    // memory min 2
        .section(6, {0x01, 0x7E, 0x01, 0x42, 0x2A, 0x0B})  // mut i64 = 42
        .section(7, concat({{0x01}, name("run"), {0x00, 0x01}}))
        .section(8, {0x01})
        .section(9, {0x01, 0x00, 0x41, 0x00, 0x0B, 0x02, 0x00, 0x01})  // funcs 0 and 1
        .section(12, {0x02})
        .section(10, {0x01, 0x04, 0x01, 0x01, 0x7F, 0x0B})  // one i32 local
        .section(11, {0x02, 0x00, 0x41, 0x04, 0x0B, 0x02, 'h', 'i', 0x01, 0x01, 'x'})
        .section(0, concat({name("vendor"), {0xDE, 0xAD}}))
        .section(0, concat({name("name"),
                            {0x00, 0x04},
                            name("mod"),  // module name
                            {0x01, 0x06, 0x01, 0x01},
                            name("run")}))  // function 1
        .bytes();
}

TEST(Parser, E2_DecodesEverySection) {
    const Bytes bytes = every_section_module();
    auto parsed = parse_module(bytes);
    ASSERT_TRUE(parsed) << parsed.error().to_string();
    const Module& module = *parsed;
    ASSERT_EQ(module.types.size(), 2u);
    EXPECT_EQ(module.types[1].params, std::vector<ValType>{ValType::I32});
    EXPECT_EQ(module.types[1].results, std::vector<ValType>{ValType::I64});
    ASSERT_EQ(module.imports.size(), 2u);
    EXPECT_EQ(module.imports[0].module, "env");
    EXPECT_EQ(module.imports[1].kind, ExternKind::Global);
    EXPECT_EQ(module.imported_functions, 1u);
    EXPECT_EQ(module.imported_globals, 1u);
    EXPECT_EQ(module.function_count(), 2u);
    EXPECT_EQ(module.function_type(FuncIndex(0)).params.size(), 1u);
    EXPECT_EQ(module.global_type(GlobalIndex(0)).mutability, Mutability::Const);
    EXPECT_EQ(module.global_type(GlobalIndex(1)).type, ValType::I64);
    EXPECT_EQ(module.table_type(TableIndex(0)).limits.max, 16u);
    EXPECT_EQ(module.memory_type(MemoryIndex(0)).limits.min, 2u);
    ASSERT_EQ(module.exports.size(), 1u);
    EXPECT_EQ(module.exports[0].name, "run");
    EXPECT_EQ(module.start, FuncIndex(1));
    ASSERT_EQ(module.elements.size(), 1u);
    EXPECT_EQ(module.elements[0].items.size(), 2u);
    EXPECT_EQ(module.elements[0].items[1].instructions[0].kind, ConstInstruction::Kind::RefFunc);
    EXPECT_EQ(module.data_count, 2u);
    ASSERT_EQ(module.data.size(), 2u);
    EXPECT_EQ(module.data[1].mode, SegmentMode::Passive);
    const ByteSpan hello = module.range(module.data[0].bytes);
    EXPECT_EQ(std::string(hello.begin(), hello.end()), "hi");
    ASSERT_EQ(module.functions.size(), 1u);
    EXPECT_EQ(module.functions[0].local_count, 1u);
    EXPECT_EQ(module.range(module.functions[0].body).size(), 1u);  // Just `end`.
    ASSERT_EQ(module.custom_sections.size(), 2u);
    EXPECT_EQ(module.custom_sections[0].name, "vendor");
    EXPECT_EQ(module.module_name, "mod");
    EXPECT_EQ(module.function_names.at(1), "run");
}

TEST(Parser, E2_RejectsBadHeader) {
    EXPECT_STREQ(parse_error({0x00, 0x61, 0x73}).context, "header: magic header not detected");
    EXPECT_STREQ(parse_error({0x00, 0x61, 0x73, 0x6D, 0x02, 0x00, 0x00, 0x00}).context,
                 "header: unknown binary version");
}

TEST(Parser, E2_RejectsSectionOrderIdAndSize) {
    const Error order = parse_error(BinaryBuilder().section(3, {0x00}).section(1, {0x00}).bytes());
    EXPECT_EQ(order.code, Status::Malformed);
    EXPECT_STREQ(order.context, "module: unexpected content after last section");
    EXPECT_EQ(order.detail.offset, 11u);
    // The data count section comes before code even though its id is larger.
    EXPECT_STREQ(
        parse_error(BinaryBuilder().section(10, {0x00}).section(12, {0x00}).bytes()).context,
        "module: unexpected content after last section");
    EXPECT_STREQ(parse_error(BinaryBuilder().section(13, {}).bytes()).context,
                 "module: malformed section id");
    // A type section that declares zero types but carries a stray byte.
    EXPECT_STREQ(parse_error(BinaryBuilder().section(1, {0x00, 0x00}).bytes()).context,
                 "module: section size mismatch");
}

TEST(Parser, E2_FunctionAndCodeCountsMustAgree) {
    const Bytes no_code =
        BinaryBuilder().section(1, {0x01, 0x60, 0x00, 0x00}).section(3, {0x01, 0x00}).bytes();
    EXPECT_STREQ(parse_error(no_code).context,
                 "module: function and code section have inconsistent lengths");
    const Bytes data_count = BinaryBuilder().section(12, {0x01}).bytes();
    EXPECT_STREQ(parse_error(data_count).context,
                 "module: data count and data section have inconsistent lengths");
}

TEST(Parser, E2_RejectsMalformedEncodingsWithOffsets) {
    const Error mutability =
        parse_error(BinaryBuilder().section(6, {0x01, 0x7F, 0x02, 0x41, 0x00, 0x0B}).bytes());
    EXPECT_STREQ(mutability.context, "global: malformed mutability");
    EXPECT_EQ(mutability.detail.offset, 12u);
    EXPECT_STREQ(parse_error(BinaryBuilder().section(4, {0x01, 0x7F, 0x00, 0x00}).bytes()).context,
                 "table: malformed reference type");
    EXPECT_STREQ(
        parse_error(BinaryBuilder().section(7, concat({{0x01}, name("x"), {0x04, 0x00}})).bytes())
            .context,
        "export: malformed export kind");
}

TEST(Parser, E2_ReaderErrorsNameTheirSection) {
    // A type count whose fifth LEB128 byte sets bits above 32.
    const Error error =
        parse_error(BinaryBuilder().section(1, {0x80, 0x80, 0x80, 0x80, 0x10}).bytes());
    EXPECT_EQ(error.code, Status::Malformed);
    EXPECT_STREQ(error.context, "type: integer too large");
    EXPECT_EQ(error.detail.offset, 10u);
    // An export name that is not UTF-8.
    EXPECT_STREQ(
        parse_error(BinaryBuilder().section(7, {0x01, 0x01, 0xC0, 0x00, 0x00}).bytes()).context,
        "export: malformed UTF-8 encoding");
}

TEST(Parser, E2_HugeCountOverFewBytesFailsWithoutAllocating) {
    // 2^32-1 types announced in a 5-byte section: rejected by the remaining-bytes check.
    const Error error = parse_error(BinaryBuilder().section(1, leb(0xFFFFFFFF)).bytes());
    EXPECT_EQ(error.code, Status::Malformed);
    EXPECT_STREQ(error.context, "type: unexpected end");
}

TEST(Parser, E5_CountsAndSizesOverLimitsAreRejected) {
    ModuleLimits limits;
    limits.types = 1;
    const Error types = parse_error(
        BinaryBuilder().section(1, {0x02, 0x60, 0x00, 0x00, 0x60, 0x00, 0x00}).bytes(), limits);
    EXPECT_EQ(types.code, Status::Limit);
    EXPECT_EQ(types.detail.limit, 1u);
    EXPECT_EQ(types.detail.actual, 2u);

    limits = ModuleLimits{};
    limits.module_size = 8;
    EXPECT_STREQ(parse_error(BinaryBuilder().section(1, {0x00}).bytes(), limits).context,
                 "module: binary too large");

    limits = ModuleLimits{};
    limits.locals = 10;
    const Bytes many_locals = test::function_module({}, {}, {}, {0x0B, 0x7F}, 1);  // 11 i32
    const Error locals = parse_error(many_locals, limits);
    EXPECT_EQ(locals.code, Status::Limit);
    EXPECT_STREQ(locals.context, "code: too many locals");
    EXPECT_EQ(locals.detail.index, 0u);
}

TEST(Parser, E5_ElementItemLimitCoversAllSegments) {
    // Two passive segments of two function indices each (flags 1, elemkind 0x00).
    const Bytes elements = {0x02, 0x01, 0x00, 0x02, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00};
    const Bytes bytes = BinaryBuilder().section(9, elements).bytes();
    ModuleLimits limits;
    limits.element_items = 4;
    EXPECT_TRUE(parse_module(bytes, limits));
    limits.element_items = 3;
    const Error error = parse_error(bytes, limits);
    EXPECT_EQ(error.code, Status::Limit);
    EXPECT_STREQ(error.context, "element: too many entries");
    EXPECT_EQ(error.detail.index, 1u);  // The second segment.
}

TEST(Parser, E5_FunctionLimitCountsImports) {
    ModuleLimits limits;
    limits.functions = 1;
    const Bytes bytes = BinaryBuilder()
                            .section(1, {0x01, 0x60, 0x00, 0x00})
                            .section(2, concat({{0x01}, name("m"), name("f"), {0x00, 0x00}}))
                            .section(3, {0x01, 0x00})
                            .bytes();
    EXPECT_EQ(parse_error(bytes, limits).code, Status::Limit);
}

TEST(Parser, E2_LocalCountOverflowIsMalformed) {
    const Bytes locals = concat({leb(0xFFFFFFFF), {0x7F}, leb(0xFFFFFFFF), {0x7F}});
    ModuleLimits limits;
    limits.locals = 0xFFFFFFFF;
    const Error error = parse_error(test::function_module({}, {}, {}, locals, 2), limits);
    EXPECT_EQ(error.code, Status::Malformed);
    EXPECT_STREQ(error.context, "code: too many locals");
}

TEST(Parser, E2_MalformedNameSectionIsIgnored) {
    // Function-name subsection whose count runs past the end, then a module name
    // subsection with invalid UTF-8: the module still parses, without names.
    const Bytes bytes = BinaryBuilder()
                            .section(0, concat({name("name"), {0x01, 0x03, 0x05, 0x00, 0x01}}))
                            .section(0, concat({name("name"), {0x00, 0x02, 0x01, 0xFF}}))
                            .bytes();
    auto module = parse_module(bytes);
    ASSERT_TRUE(module) << module.error().to_string();
    EXPECT_TRUE(module->function_names.empty());
    EXPECT_TRUE(module->module_name.empty());
    EXPECT_EQ(module->custom_sections.size(), 2u);
}

TEST(Parser, E5_FunctionNamesOverLimitAreIgnored) {
    const Bytes names =
        concat({name("name"), {0x01, 0x07, 0x02, 0x00}, name("a"), {0x01}, name("b")});
    const Bytes bytes = BinaryBuilder().section(0, names).bytes();
    auto all = parse_module(bytes);
    ASSERT_TRUE(all) << all.error().to_string();
    EXPECT_EQ(all->function_names.size(), 2u);
    ModuleLimits limits;
    limits.function_names = 1;
    auto capped = parse_module(bytes, limits);
    ASSERT_TRUE(capped) << capped.error().to_string();
    EXPECT_TRUE(capped->function_names.empty());
}

TEST(Parser, E2_CustomSectionNameMustBeUtf8) {
    EXPECT_EQ(parse_error(BinaryBuilder().section(0, {0x01, 0xFF}).bytes()).code,
              Status::Malformed);
}

TEST(Parser, E2_NonConstantInitializerIsRejected) {
    // global i32 = (i32.const 1) (i32.const 2) (i32.add): i32.add is not constant in 2.0.
    const Bytes bytes =
        BinaryBuilder().section(6, {0x01, 0x7F, 0x00, 0x41, 0x01, 0x41, 0x02, 0x6A, 0x0B}).bytes();
    const Error error = parse_error(bytes);
    EXPECT_EQ(error.code, Status::Invalid);
    EXPECT_STREQ(error.context, "constant expression: constant expression required");
    EXPECT_EQ(error.detail.offset, 17u);
}

}  // namespace
}  // namespace esta::wasm
