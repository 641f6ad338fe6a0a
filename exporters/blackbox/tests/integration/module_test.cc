#include <gtest/gtest.h>
TEST(BlackboxIntegration, Placeholder) {}
