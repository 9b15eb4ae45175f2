#!/usr/bin/env python3
"""The chat page tested as two people would use it: headless Chromium (selenium + chromedriver) against the real
grest-chat-server on a free port with a temporary SQLite database, restarted on the same database mid-test.

Usage: browser_test.py SERVER_BINARY SCREENSHOT_DIR
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

SERVER, SHOTS = sys.argv[1], sys.argv[2]
os.makedirs(SHOTS, exist_ok=True)
DB = os.path.join(tempfile.mkdtemp(prefix="grest-browser-"), "chat.sqlite")
checks, failures = 0, []


def check(name, condition):
    global checks
    checks += 1
    print(("ok   " if condition else "FAIL ") + name, flush=True)
    if not condition:
        failures.append(name)


def start_server(port=0):
    process = subprocess.Popen([SERVER, "--port", str(port), "--db", DB], stdout=subprocess.PIPE, text=True)
    for line in process.stdout:
        match = re.search(r"open http://127\.0\.0\.1:(\d+)/", line)
        if match:
            return process, int(match.group(1))
    raise RuntimeError("the server did not start")


def stop_server(process):
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=20)


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1100,720",
                     "--disable-background-timer-throttling", "--disable-renderer-backgrounding"]:
        options.add_argument(argument)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver", port=0), options=options)


def wait(driver, predicate, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if predicate(driver):
                return True
        except Exception:
            pass
        time.sleep(0.02)
    return False


def texts(driver):
    return [element.text for element in driver.find_elements(By.CSS_SELECTOR, "#messages .message .text")]


def unread(driver, channel):
    return driver.find_element(By.CSS_SELECTOR, f'#channels li[data-channel="{channel}"] .unread').get_attribute("textContent")


def status(driver):
    return driver.find_element(By.ID, "status").get_attribute("data-state")


def open_channel(driver, channel):
    """Clicks a channel (the list re-renders on every push, so a found element may go stale: retry)."""
    def click(d):
        d.find_element(By.CSS_SELECTOR, f'#channels li[data-channel="{channel}"]').click()
        return True
    wait(driver, click)
    return wait(driver, lambda d: d.find_element(By.ID, "channel-title").text == f"# {channel}")


def login(driver, port, user):
    driver.get(f"http://127.0.0.1:{port}/")
    driver.find_element(By.CSS_SELECTOR, f'#login button[data-user="{user}"]').click()
    return wait(driver, lambda d: status(d) == "open" and d.find_elements(By.CSS_SELECTOR, '#channels li[data-channel="general"]'))


server, port = start_server()
alice, bob, guest = browser(), browser(), None
try:
    check("alice's page connects", login(alice, port, "alice"))
    check("bob's page connects", login(bob, port, "bob"))
    check("the token is not in the URL", "alice" not in alice.current_url)
    check("both see each other online", wait(alice, lambda d: {"alice", "bob"} <= {e.get_attribute("data-user") for e in d.find_elements(By.CSS_SELECTOR, "#online li")}))

    # Alice types: bob sees the typing indicator.
    alice.find_element(By.ID, "text").send_keys("hello bob")
    check("bob sees alice typing", wait(bob, lambda d: "alice is typing" in d.find_element(By.ID, "typing").text, 5))

    started = time.monotonic()
    alice.find_element(By.ID, "send").click()
    seen = wait(bob, lambda d: "hello bob" in texts(d), 5)
    latency = time.monotonic() - started
    check(f"bob sees alice's message within 1 s ({latency * 1000:.0f} ms)", seen and latency < 1.0)
    check("the typing indicator clears when the message arrives", wait(bob, lambda d: d.find_element(By.ID, "typing").text == "", 4))
    check("alice's input is cleared", alice.find_element(By.ID, "text").get_attribute("value") == "")

    # A message in another channel raises bob's unread count there.
    open_channel(alice, "random")
    for text in ["over here", "in random"]:
        alice.find_element(By.ID, "text").send_keys(text)
        alice.find_element(By.ID, "send").click()
        wait(alice, lambda d, text=text: text in texts(d), 5)
    check("bob's unread count for #random rises to 2", wait(bob, lambda d: unread(d, "random") == "2", 5))
    check("bob's #general shows no unread", unread(bob, "general") == "")
    bob.save_screenshot(os.path.join(SHOTS, "chat.png"))

    # Bob reloads: the history and the unread count come back from the server.
    bob.refresh()
    check("after a reload bob is connected again", wait(bob, lambda d: status(d) == "open"))
    check("after a reload bob sees the history", wait(bob, lambda d: "hello bob" in texts(d)))
    check("after a reload the unread count persists", wait(bob, lambda d: unread(d, "random") == "2"))
    open_channel(bob, "random")
    check("opening #random shows its messages and clears the count",
          wait(bob, lambda d: texts(d) == ["over here", "in random"] and unread(d, "random") == ""))
    open_channel(bob, "general")
    wait(bob, lambda d: "hello bob" in texts(d))

    # The server restarts on the same database: both pages reconnect by themselves and keep the history.
    stop_server(server)
    check("the pages show reconnecting…", wait(alice, lambda d: d.find_element(By.ID, "status").text == "reconnecting…", 5)
          and wait(bob, lambda d: status(d) == "reconnecting", 5))
    alice.save_screenshot(os.path.join(SHOTS, "reconnecting.png"))
    server, port = start_server(port)
    check("both pages reconnect by themselves", wait(alice, lambda d: status(d) == "open", 15) and wait(bob, lambda d: status(d) == "open", 15))
    check("bob sees the old history after the restart", wait(bob, lambda d: "hello bob" in texts(d)))
    check("bob's read marker survived the restart", unread(bob, "random") == "")
    bob.find_element(By.ID, "text").send_keys("back again")
    bob.find_element(By.ID, "send").click()
    open_channel(alice, "general")
    check("messages flow again after the restart", wait(alice, lambda d: "back again" in texts(d), 5))

    # A guest can read but not write, and the server refuses a write the page would not even offer.
    guest = browser()
    check("guest's page connects", login(guest, port, "guest"))
    check("guest sees the history", wait(guest, lambda d: "back again" in texts(d)))
    check("guest's input is disabled", not guest.find_element(By.ID, "text").is_enabled() and not guest.find_element(By.ID, "send").is_enabled())
    refused = guest.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "window.chat.socket.call('sendMessage', {text: 'sneaky', channelId: 'general'})"
        ".then(() => done('sent'), (error) => done(error.type + ' ' + error.statusCode));")
    check(f"the server refuses the guest's message ({refused})", refused == "FORBIDDEN 403")
    guest.save_screenshot(os.path.join(SHOTS, "guest.png"))
finally:
    for driver in [alice, bob, guest]:
        if driver:
            driver.quit()
    try:
        stop_server(server)
    except Exception:
        server.kill()

print(f"browser test: {checks - len(failures)}/{checks} checks passed; screenshots in {SHOTS}")
sys.exit(1 if failures else 0)
