/** Implementations of the service layer's ports, named by technology: JDBC storage, notifications. Package-private where bootstrap does not need them. */
package com.allocationservice.adapters;
