// Ctrl-C for the interactive commands. While an answer is generating, SIGINT only sets the
// cancellation flag the engine polls before every token, so the answer stops and the
// conversation goes on. At the input prompt, the first Ctrl-C prints a hint and the second one
// exits (130, the shell's code for SIGINT) — the handler does only async-signal-safe work.
#pragma once

#include <atomic>

namespace qinfer::cli {

class InterruptGuard {
 public:
  InterruptGuard();   // installs the SIGINT handler
  ~InterruptGuard();  // restores the previous one

  // The flag TextSession::generate polls; cleared when a generation starts.
  const std::atomic<bool>* cancel_flag() const;
  void begin_generation();
  void end_generation();
  // The input prompt ("> ") to show again after the hint; must be a string with static storage.
  void set_prompt(const char* prompt);
  // A Ctrl-C arrived since the last begin_generation() (the answer was cut short).
  bool interrupted() const;

  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
};

}  // namespace qinfer::cli
