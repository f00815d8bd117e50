// Two demo-app nodes on one real redis-server, in real browsers: what one node's people do
// reaches the other node's pages (chat messages, new users, presence), a killed node's
// people leave the other node's presence after the presence timeout, and a restarted Redis
// carries messages again. The nodes share LIVEVIEW_SECRET, one SQLite file and
// LIVEVIEW_PUBSUB (server.mjs `startNodes`); each describe() has its own Redis and nodes.
// Contract: shared DEMO.md (chat and Users sections), docs/deployment.md.

import { describe } from 'node:test';
import assert from 'node:assert/strict';

import { assertNotReloaded, MAIN, nodesPerSuite, spec } from './suite.mjs';
import { openChat, say, waitForMessage, waitForOnline } from './chat-steps.mjs';
import { createUser, openUsers, waitForRow } from './users-steps.mjs';

/** Short, so a killed node's people leave within seconds (the default is 15 s). */
const PRESENCE_TIMEOUT_MS = 1_500;
const NODES = { env: { LIVEVIEW_PRESENCE_TIMEOUT_MS: String(PRESENCE_TIMEOUT_MS) } };

// Names and texts of each test's own: `people('ada', 'bob')` -> ['ada-3', 'bob-3'].
let run = 0;
function people(...names) {
  run += 1;
  return names.map((n) => `${n}-${run}`);
}
const said = (what) => `${what} (#${run})`;

/** Asserts the page's live view is still joined (it never went to phx-error or loading). */
async function assertStillConnected(page, who) {
  const classes = await page.$eval(MAIN, (el) => [...el.classList].filter((c) => c.startsWith('phx-')));
  assert.deepEqual(classes, ['phx-connected'], `${who} stayed connected`);
}

describe('two nodes on one Redis', () => {
  const nodes = nodesPerSuite(NODES);

  spec(
    'a_chat_message_sent_in_a_browser_on_node_a_shows_in_a_browser_on_node_b_and_back',
    nodes,
    async ({ page: ada, server: { a, b }, newPage }) => {
      const [A, B] = people('ada', 'bob');
      const { page: bob } = await newPage('bob on node b');
      await openChat(ada, a, A);
      await openChat(bob, b, B);

      const hello = said('Hello from node A');
      await say(ada, hello);
      const seen = await waitForMessage(bob, { author: A, body: hello });
      assert.equal(seen.count, 1, 'node B shows the message once');
      assert.equal(seen.mine, false, "on node B it is not bob's");
      const own = await waitForMessage(ada, { author: A, body: hello });
      assert.equal(own.id, seen.id, 'both nodes show the same stored message');
      assert.equal(own.count, 1, 'node A shows its own message once (not again from Redis)');

      const reply = said('Hello back from node B');
      await say(bob, reply);
      assert.equal((await waitForMessage(ada, { author: B, body: reply })).count, 1, 'node A shows the reply once');
      await assertNotReloaded(ada, 'ada on node A');
      await assertNotReloaded(bob, 'bob on node B');
    },
    { label: 'ada on node a' },
  );

  spec(
    'a_user_created_through_node_b_api_appears_on_node_a_users_page_without_reload',
    nodes,
    async ({ page, server: { a, b } }) => {
      await openUsers(page, a);
      people();
      const grace = { name: `Grace ${run}`, email: `grace.${run}@example.com` };
      const user = await createUser(b, grace);
      await waitForRow(page, user.id, grace);
      await assertNotReloaded(page, 'the list on node A');
    },
    { label: 'list on node a' },
  );

  spec(
    'the_chat_presence_on_each_node_lists_the_people_on_both',
    nodes,
    async ({ page: ada, server: { a, b }, newPage }) => {
      const [A, B, C] = people('ada', 'bob', 'cy');
      const { page: bob } = await newPage('bob on node b');
      const { page: cy } = await newPage('cy on node b');
      await openChat(ada, a, A);
      await openChat(bob, b, B);
      await openChat(cy, b, C);
      for (const [page, who] of [[ada, 'node A'], [bob, 'node B'], [cy, 'node B (cy)']]) {
        await waitForOnline(page, { present: [A, B, C] }).catch((e) => {
          e.message = `${who}: ${e.message}`;
          throw e;
        });
      }

      // A leave crosses too: cy closes the tab on node B, and node A stops listing cy.
      await cy.close();
      await waitForOnline(ada, { present: [A, B], absent: [C] });
      await waitForOnline(bob, { present: [A, B], absent: [C] });
    },
    { label: 'ada on node a' },
  );
});

describe('a node killed', () => {
  const nodes = nodesPerSuite(NODES);

  spec(
    'killing_node_a_removes_its_people_from_node_b_presence_after_the_presence_timeout',
    nodes,
    async ({ page: ada, server: { a, b }, newPage, logs }) => {
      const [A, B, C] = people('ada', 'bob', 'cy');
      const { page: bob } = await newPage('bob on node b');
      const { page: cy } = await newPage('cy on node b');
      await openChat(ada, a, A);
      await openChat(bob, b, B);
      await openChat(cy, b, C);
      await waitForOnline(bob, { present: [A, B, C] });

      await a.kill(); // SIGKILL: node A says no goodbye; only its silence tells node B
      logs.add('e2e', `node A killed; presence timeout ${PRESENCE_TIMEOUT_MS} ms`);
      await ada.close(); // ada's page would only retry node A from here on
      // The bound is WAIT_MS (10 s), well under the default 15 s timeout: this passes only
      // because LIVEVIEW_PRESENCE_TIMEOUT_MS is honoured.
      await waitForOnline(bob, { present: [B, C], absent: [A] });
      await waitForOnline(cy, { present: [B, C], absent: [A] });
      logs.add('e2e', `${A} left node B's list`);

      // Node B goes on serving its own people.
      const text = said('still here on node B');
      await say(cy, text);
      await waitForMessage(bob, { author: C, body: text });
      await assertStillConnected(bob, 'bob on node B');
      assert.equal((await b.health()).pubsub, 'redis: connected', "node B's Redis link is unaffected");
    },
    { label: 'ada on node a' },
  );
});

describe('Redis restarted', () => {
  const nodes = nodesPerSuite(NODES);

  spec(
    'after_redis_restarts_both_nodes_reconnect_and_messages_and_presence_cross_again',
    nodes,
    async ({ page: ada, server: { redis, a, b }, newPage, logs }) => {
      const [A, B] = people('ada', 'bob');
      const { page: bob } = await newPage('bob on node b');
      await openChat(ada, a, A);
      await openChat(bob, b, B);
      const before = said('before the restart');
      await say(ada, before);
      await waitForMessage(bob, { author: A, body: before });

      await redis.kill();
      logs.add('e2e', 'redis-server killed');
      await Promise.all([a.waitForPubsub('redis: reconnecting'), b.waitForPubsub('redis: reconnecting')]);
      // Without Redis the nodes stop hearing each other: after the presence timeout each
      // lists only its own people. Each still serves its own views.
      await waitForOnline(ada, { present: [A], absent: [B] });
      await waitForOnline(bob, { present: [B], absent: [A] });
      await assertStillConnected(ada, 'ada on node A');
      await assertStillConnected(bob, 'bob on node B');

      await redis.restart();
      logs.add('e2e', 'redis-server restarted (empty) on the same port');
      await Promise.all([a.waitForPubsub('redis: connected'), b.waitForPubsub('redis: connected')]);
      logs.add('e2e', 'both nodes report redis: connected');

      const fromA = said('after the restart, from node A');
      await say(ada, fromA);
      assert.equal((await waitForMessage(bob, { author: A, body: fromA })).count, 1, 'node B shows it once');
      const fromB = said('after the restart, from node B');
      await say(bob, fromB);
      assert.equal((await waitForMessage(ada, { author: B, body: fromB })).count, 1, 'node A shows it once');
      // Presence is resynced: each node lists the other's people again.
      await waitForOnline(ada, { present: [A, B] });
      await waitForOnline(bob, { present: [A, B] });
      await assertNotReloaded(ada, 'ada on node A');
      await assertNotReloaded(bob, 'bob on node B');
    },
    { label: 'ada on node a' },
  );
});
