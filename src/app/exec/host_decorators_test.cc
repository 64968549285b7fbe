#include "app/exec/host_decorators.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace esta::app {
namespace {

// Records writes; its clock and randomness must never be reached through the decorators.
class StreamsOnly final : public wasm::WasiHost {
  public:
    u64 clock_time(wasm::WasiClock) override {
        ADD_FAILURE() << "clock reached the real host";
        return 0;
    }
    u64 clock_resolution(wasm::WasiClock) override { return 0; }
    void random(std::span<u8>) override { ADD_FAILURE() << "random reached the real host"; }
    Result<std::size_t> write(u32 fd, ByteSpan bytes) override {
        written[fd].append(bytes.begin(), bytes.end());
        return bytes.size();
    }
    Result<std::size_t> read_stdin(std::span<u8>) override { return std::size_t{0}; }

    std::map<u32, std::string> written;
};

TEST(DeterministicWasiHost, T6_ClockAndRandomAreFixedSequences) {
    StreamsOnly streams;
    DeterministicWasiHost first(streams);
    DeterministicWasiHost second(streams);
    EXPECT_EQ(first.clock_time(wasm::WasiClock::Monotonic), 1'000'000u);
    EXPECT_EQ(first.clock_time(wasm::WasiClock::Realtime), 1'700'000'000'002'000'000u);
    std::array<u8, 13> a{};
    std::array<u8, 13> b{};
    first.random(a);
    second.random(b);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, (std::array<u8, 13>{}));
    first.random(a);
    EXPECT_NE(a, b);  // The stream moves on.
}

TEST(StdoutDigestHost, T6_HashesStdoutOnlyAndForwardsEverything) {
    StreamsOnly streams;
    StdoutDigestHost digest(streams);
    std::string hello = "hello";
    std::string noise = "noise";
    ASSERT_TRUE(digest.write(1, ByteSpan(reinterpret_cast<const u8*>(hello.data()), hello.size())));
    ASSERT_TRUE(digest.write(2, ByteSpan(reinterpret_cast<const u8*>(noise.data()), noise.size())));
    EXPECT_EQ(streams.written[1], "hello");
    EXPECT_EQ(streams.written[2], "noise");
    EXPECT_EQ(digest.stdout_bytes(), 5u);
    EXPECT_EQ(digest.finish(),
              observe::sha256(ByteSpan(reinterpret_cast<const u8*>(hello.data()), 5)));
}

}  // namespace
}  // namespace esta::app
