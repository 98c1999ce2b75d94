/** The allocation domain: the Product aggregate, its batches and order lines, and the commands and events it speaks. Depends on java.* only. */
package com.allocationservice.domain;
