// Helpers shared by the Node test clients (interop, pubsub, compression, tls).
//   const { check, withTimeout } = require('../lib/nodetest').helpers(TIMEOUT_MS);
'use strict';

function check(cond, what) {
  if (!cond) throw new Error(what);
}

// helpers(ms): check(), and withTimeout(promise, what, ms = the default), which
// rejects with "timeout: what" if the promise has not settled in time.
function helpers(defaultMs) {
  function withTimeout(promise, what, ms = defaultMs) {
    let timer;
    return Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), ms);
      }),
    ]).finally(() => clearTimeout(timer));
  }
  return { check, withTimeout };
}

module.exports = { helpers };
