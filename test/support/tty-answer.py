"""Runs a command in a real pseudo-terminal and answers its prompts, as a person at a terminal would.

usage: python3 tty-answer.py CWD '[["prompt text", "answer"], ...]' CMD ARGS...
Prints everything the terminal showed (the echo included) and exits with the command's exit code.
"""
import json
import os
import pty
import select
import sys
import time

cwd, answers, command = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.chdir(cwd)
    os.execvp(command[0], command)

shown = b''


def read_until(token, timeout):
    global shown
    end = time.time() + timeout
    while (token is None or token not in shown) and time.time() < end:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                data = os.read(fd, 4096)
            except OSError:
                return
            if not data:
                return
            shown += data


for prompt, answer in answers:
    read_until(prompt.encode(), 15)
    os.write(fd, answer.encode() + b'\r')
read_until(None, 15)
_, status = os.waitpid(pid, 0)
sys.stdout.write(shown.decode('utf8', 'replace'))
sys.exit(os.waitstatus_to_exitcode(status))
