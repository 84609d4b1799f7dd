/**
 * The code samples shown in README.md and docs/: small, complete programs that the build compiles
 * and that tests run against real peers. Each sample region is marked {@code tag::name[]} ...
 * {@code end::name[]}; {@code DocSnippetsTest} checks that the markdown quotes it exactly.
 */
package dev.graceful.samples.examples;
