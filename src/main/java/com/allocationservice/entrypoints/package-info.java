/** Ways in: the HTTP API and the Redis message consumer. Entrypoints turn requests and messages into commands for the bus or queries on the views, nothing else. */
package com.allocationservice.entrypoints;
