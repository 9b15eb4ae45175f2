import GrestSchema
import GrestTestKit
import Testing

@Suite(.timeLimit(.minutes(1)))
struct SocketTests {
    @Test func aLatePushSatisfiesWaitFor() async throws {
        try await withGrestHarness(demoApps()) { harness in
            let client = try await harness.connect(RoomSocket)
            let started = ContinuousClock.now
            try await client.call(RoomApi.say, Say(text: "later", delayMs: 500))
                .expect(equals: true)
                .waitFor(client.push(RoomApi.said, matching: ["text": "later"]), timeout: .seconds(5))
                .run()
            #expect(ContinuousClock.now - started >= .milliseconds(500))
        }
    }

    @Test func pushesToASecondClient() async throws {
        try await withGrestHarness(demoApps()) { harness in
            let alice = try await harness.connect(RoomSocket)
            let bob = try await harness.connect(RoomSocket)
            try await alice.call(RoomApi.say, Say(text: "hi", delayMs: 0)).expect(equals: true).run()
            let pushed = await bob.expectPush(RoomApi.said, matching: ["text": "hi"], within: .seconds(5))
            #expect(pushed == Said(text: "hi"))
            await alice.expectPush(RoomApi.said)
        }
    }

    @Test func serverRequestsAreAnsweredByMocks() async throws {
        try await withGrestHarness(demoApps()) { harness in
            let here = try await harness.connect(RoomSocket)
            let away = try await harness.connect(RoomSocket)
            here.mock(RoomApi.areYouThere, returning: true)
            away.mock(RoomApi.areYouThere, returning: false)
            try await here.call(RoomApi.rollCall).expect(equals: 1).run()
            #expect(here.received(RoomApi.areYouThere) == 1)
            #expect(away.received(RoomApi.areYouThere) == 1)
        }
    }

    @Test func socketCallsCarryTheirConnectionsScopeToMocks() async throws {
        let store = UserStore()
        try await withGrestHarness(demoApps(store)) { harness in
            let client = try await harness.connect(RoomSocket)
            try await client.call(RoomApi.whois, UserID(id: "u1"))
                .with(mock(UsersApi.get).returning(User(id: "u1", name: "Mocked")))
                .expect(equals: "Mocked")
                .run()
            try await client.call(RoomApi.whois, UserID(id: "u1")).expect(equals: "Ada").run()
            #expect(store.count("get") == 1)
        }
    }

    @Test func metricDeltasOnTheAppsOwnRegistry() async throws {
        try await withGrestHarness(demoApps()) { harness in
            let client = try await harness.connect(RoomSocket)
            client.ignore(RoomApi.said)
            try await client.call(RoomApi.say, Say(text: "counted", delayMs: 0))
                // The server counts a request after it has answered it: wait for the count rather than race it.
                .waitFor(
                    harness.counterDelta("grest_ws_requests_total", in: "greeter", by: 1, dimensions: [("method", "RoomApi.say"), ("result", "OK")])
                )
                .run()
            try await harness.callOn(GreeterApi.self).roster()
                .with(harness.counterDelta("grest_http_requests_total", in: "greeter", by: 1))
                .with(harness.counterDelta("grest_ws_requests_total", in: "greeter", by: 0))
                .run()
            await withKnownIssue {
                try await client.call(RoomApi.say, Say(text: "counted", delayMs: 0))
                    .waitFor(harness.counterDelta("grest_ws_requests_total", in: "greeter", by: 2), timeout: .milliseconds(300))
                    .run()
            }
        }
    }

    @Test func socketValidationErrors() async throws {
        try await withGrestHarness(demoApps()) { harness in
            let client = try await harness.connect(RoomSocket)
            try await client.call(RoomApi.say, raw: ["text": "", "delayMs": 0]).expectValidation(["text": "invalid.string.nonEmpty"]).run()
        }
    }

    @Test func anUnexpectedPushFailsTheTestWithTheFrame() async throws {
        try await withGrestHarness(demoApps()) { harness in
            let client = try await harness.connect(RoomSocket)
            try await client.call(RoomApi.say, Say(text: "surprise", delayMs: 0)).run()
            await withKnownIssue {
                await client.close()
            } matching: { issue in
                issue.comments.contains { $0.rawValue.contains(#"unexpected socket message received: m:RoomApi.said:{"text":"surprise"}"#) }
            }
        }
    }
}
