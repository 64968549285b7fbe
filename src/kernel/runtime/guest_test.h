// The gtest fixture of the tests that run C guests under a Kernel: the guests are built
// when the test runs, and the test skips when the toolchain is missing.
#pragma once

#include <gtest/gtest.h>

#include "kernel/runtime/test_guests.h"
#include "kernel/runtime/test_harness.h"

namespace esta::kernel::testing {

class GuestTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string why = m_compiler.prepare();
        if (!why.empty()) GTEST_SKIP() << why;
    }
    // nullptr when the guest does not build: a skip when wasm-ld is missing (see
    // ESTA_BUILD), a failure otherwise.
    Module build(const std::string& name, const std::string& code) {
        Module module = m_compiler.build(name, code);
        if (!module) {
            if (m_compiler.toolchain_missing()) {
                m_skipped = true;
            } else {
                ADD_FAILURE() << m_compiler.log();
            }
        }
        return module;
    }

    GuestCompiler m_compiler;
    bool m_skipped = false;
};

// The parts a deterministic Kernel is built from: the injected clock (1000 s), a recording
// audit, an in-memory dead-letter sink, one scheduler at 1000 fuel per millisecond.
class KernelGuestTest : public GuestTest {
  protected:
    protocol::ManualClock clock{1'000 * kNanosPerSecond};
    RecordingAudit audit;
    InMemoryDeadLetters dead_letters;
    KernelConfig config{.threads = 1, .fuel_per_milli = 1000};
};

}  // namespace esta::kernel::testing

// Builds `code` into the Module `var`, or skips/fails the test.
#define ESTA_BUILD(var, name, code)                  \
    Module var = build(name, code);                  \
    if (m_skipped) GTEST_SKIP() << m_compiler.log(); \
    ASSERT_TRUE(var)
