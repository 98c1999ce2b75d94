/** The service layer: a command handler per command on a message bus, and the ports (unit of work, repository, event publisher, notifications) they and the adapters meet at. Depends on the domain only. */
package com.allocationservice.service;
