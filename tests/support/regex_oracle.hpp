#pragma once

// Checks a hand-written matcher against the std::regex it replaced (kept here as the
// specification): on the given cases, then on random strings drawn from an alphabet where
// near misses are likely.
#include <catch2/catch.hpp>

#include <functional>
#include <random>
#include <regex>
#include <string>
#include <vector>

inline void check_against_regex(const std::string& pattern, const std::function<bool(const std::string&)>& matcher,
                                const std::string& alphabet, size_t max_length, const std::vector<std::string>& cases)
{
  const std::regex oracle(pattern);
  for (const auto& text : cases) {
    INFO("case: '" << text << "'");
    CHECK(matcher(text) == std::regex_match(text, oracle));
  }
  std::mt19937 random(20261203);
  std::uniform_int_distribution<size_t> length(0, max_length);
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  for (int round = 0; round < 20000; ++round) {
    std::string text(length(random), ' ');
    for (char& c : text) {
      c = alphabet[pick(random)];
    }
    INFO("random: '" << text << "'");
    REQUIRE(matcher(text) == std::regex_match(text, oracle));
  }
}
