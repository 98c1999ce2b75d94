/** Ways in: the HTTP API. Entrypoints turn requests into commands for the bus or queries on the views, nothing else. */
package com.allocationservice.entrypoints;
