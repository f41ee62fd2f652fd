#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace mdivicom {

// Process exit codes; documented in the README. Never renumber.
enum class ExitCode : int {
  ok = 0,
  failed = 1,         // the run failed, or a validation found problems
  usage = 2,          // bad command line or bad input (missing dirs, malformed JSON, unknown plugin)
  out_of_date = 3,    // O/<id> holds outputs of a run that differs (or of no run); nothing ran
  infrastructure = 4, // the runner or what it needs failed (engine, image, worker, mdivicom itself), not the
                      // plugin: a script may retry once the cause is fixed; 1 stays the plugin's own failure
  interrupted = 130,
};

// The one error type that reaches main, which prints "mdivicom: error: <message>" and exits.
class Error : public std::runtime_error
{
public:
  explicit Error(const std::string& message, ExitCode code = ExitCode::failed)
    : std::runtime_error(message), m_code(code)
  {}
  ExitCode code() const { return m_code; }

private:
  ExitCode m_code;
};

// Bad input from the user: exits 2.
inline Error usage_error(const std::string& message)
{
  return Error(message, ExitCode::usage);
}

// A failure a caller may recover from, carried by value (the lower of the two error layers).
struct Failure
{
  std::string message;
};

template <typename T>
class Result
{
public:
  Result(T value) : m_data(std::move(value)) {}
  Result(Failure failure) : m_data(std::move(failure)) {}

  bool ok() const { return std::holds_alternative<T>(m_data); }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<T>(m_data); }
  const T& value() const { return std::get<T>(m_data); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const std::string& error() const { return std::get<Failure>(m_data).message; }

  // Turns a failure into the error main prints.
  T take_or_throw(ExitCode code = ExitCode::failed) &&
  {
    if (!ok()) {
      throw Error(error(), code);
    }
    return std::move(value());
  }

private:
  std::variant<T, Failure> m_data;
};

} // namespace mdivicom
