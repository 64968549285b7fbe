#include "drivers/secrets.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace esta::drivers {
namespace {

class SecretFile : public ::testing::Test {
  protected:
    SecretFile()
        : path(std::filesystem::temp_directory_path() /
               ("esta_secret_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
        std::ofstream(path) << "s3cret\n";
    }
    ~SecretFile() override { std::filesystem::remove(path); }
    std::filesystem::path path;
};

TEST_F(SecretFile, S2_OwnerOnlyFileIsRead) {
    ::chmod(path.c_str(), 0600);
    auto secret = read_secret({SecretRef::Source::File, path.string()});
    ASSERT_TRUE(secret);
    EXPECT_EQ(*secret, "s3cret");
}

TEST_F(SecretFile, S2_FileReadableByOthersIsRefused) {
    for (mode_t mode : {0644, 0640, 0604}) {
        ::chmod(path.c_str(), mode);
        auto secret = read_secret({SecretRef::Source::File, path.string()});
        ASSERT_FALSE(secret) << std::oct << mode;
        EXPECT_EQ(secret.error().code, Status::AccessDenied);
        EXPECT_EQ(secret.error().detail.actual, mode);
    }
}

TEST(Secret, S2_EnvironmentVariableIsReadAndAbsenceIsNotFound) {
    ::setenv("ESTA_TEST_SECRET", "from-env", 1);
    auto secret = read_secret({SecretRef::Source::Environment, "ESTA_TEST_SECRET"});
    ASSERT_TRUE(secret);
    EXPECT_EQ(*secret, "from-env");
    ::unsetenv("ESTA_TEST_SECRET");
    auto absent = read_secret({SecretRef::Source::Environment, "ESTA_TEST_SECRET"});
    ASSERT_FALSE(absent);
    EXPECT_EQ(absent.error().code, Status::NotFound);
}

}  // namespace
}  // namespace esta::drivers
