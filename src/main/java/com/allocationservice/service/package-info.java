/** The service layer: command and event handlers on a message bus, and the ports (unit of work, repository, notifications) they need. Depends on the domain only. */
package com.allocationservice.service;
