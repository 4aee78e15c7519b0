#include "bin/cli.hpp"

#include <gtest/gtest.h>

namespace sluice::cli {
namespace {

TEST(Cli, NoArgumentsMeansEmbeddedDefault) {
  std::string error;
  auto opts = parse({}, error);
  ASSERT_TRUE(opts);
  EXPECT_FALSE(opts->config_file);
  EXPECT_FALSE(opts->port);
  EXPECT_FALSE(opts->check_config);
}

TEST(Cli, ParsesEveryOption) {
  std::string error;
  auto opts = parse({"--config", "a.yaml", "--port=0", "--check-config", "--version", "-h"}, error);
  ASSERT_TRUE(opts) << error;
  EXPECT_EQ(opts->config_file, "a.yaml");
  EXPECT_EQ(opts->port, 0);
  EXPECT_TRUE(opts->check_config);
  EXPECT_TRUE(opts->version);
  EXPECT_TRUE(opts->help);
}

TEST(Cli, RejectsBadInput) {
  std::string error;
  EXPECT_FALSE(parse({"--port", "99999"}, error));
  EXPECT_EQ(error, "--port takes a number from 0 to 65535, got \"99999\"");
  EXPECT_FALSE(parse({"--config"}, error));
  EXPECT_EQ(error, "--config needs a value");
  EXPECT_FALSE(parse({"--verbose"}, error));
  EXPECT_EQ(error, "unknown option \"--verbose\"");
}

}  // namespace
}  // namespace sluice::cli
