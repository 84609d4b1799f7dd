/** The kit's own plumbing, not exported: what BlockHound's ServiceLoader finds. */
package dev.graceful.testkit.internal;
